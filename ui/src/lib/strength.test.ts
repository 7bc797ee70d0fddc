import { describe, expect, it } from "vitest";
import { passphraseProblem } from "./strength";
import { MockBackend } from "./mock";

describe("passphraseProblem", () => {
  it("words the length rule and Rust's refusal as the CLI does", () => {
    expect(passphraseProblem("short", null)).toBe("The new passphrase must be at least 10 characters long.");
    expect(passphraseProblem("long enough now", null)).toBeNull();
    const weak = { score: 1, label: "Weak", feedback: "x", acceptable: false, refusal: "the new passphrase is too weak (weak): Add a word." };
    expect(passphraseProblem("long enough now", weak)).toBe("The new passphrase is too weak (weak): Add a word.");
    expect(passphraseProblem("long enough now", { ...weak, acceptable: true, refusal: null })).toBeNull();
  });
});

describe("the mock's rate_passphrase", () => {
  it("never rates the xkcd passphrase very strong, and says why", async () => {
    const b = MockBackend.preset("empty");
    const s = await b.call("rate_passphrase", { password: "correct horse battery staple", name: null, email: null });
    expect(s.score).toBeLessThanOrEqual(1);
    expect(s.acceptable).toBe(false);
    expect(s.feedback).toContain("published example passphrase");
    const good = await b.call("rate_passphrase", { password: "velvet crane ambles under 9 moons", name: null, email: null });
    expect(good).toMatchObject({ score: 4, label: "Very strong", acceptable: true, refusal: null });
    const short = await b.call("rate_passphrase", { password: "short", name: null, email: null });
    expect(short.refusal).toBe("the new passphrase must be at least 10 characters long");
  });
});
