// A passphrase strength estimate for the meter: entropy from length and
// character classes, with penalties for repeats, sequences and very common
// passwords. A guide for the user, not a policy (Argon2id does the work).

const COMMON = new Set([
  "password", "passw0rd", "123456", "12345678", "123456789", "qwerty", "letmein",
  "iloveyou", "admin", "welcome", "monkey", "dragon", "abc123", "111111", "secret",
  "coffer", "changeme", "trustno1", "sunshine", "princess", "football",
]);

export type Strength = { score: 0 | 1 | 2 | 3 | 4; label: string; bits: number };

const LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"] as const;

export function strength(pw: string): Strength {
  if (!pw) return { score: 0, label: LABELS[0], bits: 0 };
  let pool = 0;
  if (/[a-z]/.test(pw)) pool += 26;
  if (/[A-Z]/.test(pw)) pool += 26;
  if (/[0-9]/.test(pw)) pool += 10;
  if (/[^A-Za-z0-9]/.test(pw)) pool += 33;
  const chars = [...pw];
  // Count a character only if it differs from the previous one and does
  // not continue an ascending/descending run.
  let effective = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i].codePointAt(0)!;
    const p = i > 0 ? chars[i - 1].codePointAt(0)! : NaN;
    const pp = i > 1 ? chars[i - 2].codePointAt(0)! : NaN;
    if (c === p) effective += 0.25;
    else if (c - p === p - pp && Math.abs(c - p) === 1) effective += 0.25;
    else effective += 1;
  }
  let bits = effective * Math.log2(Math.max(pool, 2));
  const lower = pw.toLowerCase();
  if (COMMON.has(lower) || COMMON.has(lower.replace(/[0-9!]+$/, ""))) bits = Math.min(bits, 10);
  const score = bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  return { score, label: LABELS[score], bits: Math.round(bits) };
}
