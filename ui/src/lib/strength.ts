// The passphrase policy is Rust's (coffer_vault::passphrase, the same as the
// CLI's): the meter asks it through the `rate_passphrase` command. This
// module only words what the UI checks before asking: the length rule,
// with Rust's own message, and Rust's refusal as a sentence.
import type { PassphraseStrengthDto } from "./bindings";

/** The shortest new passphrase (Rust: MIN_PASSPHRASE_CHARS). */
export const MIN_PASSPHRASE_CHARS = 10;

const sentence = (m: string) => m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");

/** Why a new passphrase is refused (the CLI's message), or null. `rated`
 * is Rust's verdict on this very passphrase, null while it is pending (the
 * command that creates or changes it checks again anyway). */
export function passphraseProblem(password: string, rated: PassphraseStrengthDto | null): string | null {
  if ([...password].length < MIN_PASSPHRASE_CHARS) {
    return sentence(`the new passphrase must be at least ${MIN_PASSPHRASE_CHARS} characters long`);
  }
  if (rated && !rated.acceptable && rated.refusal) return sentence(rated.refusal);
  return null;
}
