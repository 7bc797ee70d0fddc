import { toFailure } from "./ipc";

/** A readable sentence for any failure: never JSON, never a stack. */
export function errorMessage(e: unknown): string {
  const f = toFailure(e);
  let msg = f.message.trim() || "Something went wrong.";
  if (f.code === "locked") msg = "The vault is locked. Unlock it to continue.";
  // The vault's messages sometimes end with a CLI hint (`coffer …`): the
  // app has buttons for that, so drop it.
  msg = msg.replace(/: (create one with|run) `coffer [^`]*`.*$/, "");
  msg = msg.charAt(0).toUpperCase() + msg.slice(1);
  return /[.!?]$/.test(msg) ? msg : msg + ".";
}

/** Which of a form's fields a failure is about, from its sentence (the
 * IPC error has a code, not a field), or null: the form then shows it by
 * its buttons. The first rule that matches wins. */
export function errorField<F extends string>(message: string | null, rules: readonly (readonly [F, RegExp])[]): F | null {
  if (!message) return null;
  for (const [field, re] of rules) if (re.test(message)) return field;
  return null;
}
