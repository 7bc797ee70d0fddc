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
