import { describe, expect, it } from "vitest";
import { strength } from "./strength";

describe("strength", () => {
  it("orders passphrases sensibly", () => {
    expect(strength("").score).toBe(0);
    expect(strength("password1").score).toBe(0);
    expect(strength("aaaaaaaaaaaa").score).toBe(0);
    expect(strength("abcdefghijkl").score).toBeLessThan(2);
    expect(strength("Tr0ub4dor&3").score).toBeGreaterThanOrEqual(2);
    expect(strength("correct horse battery staple").score).toBe(4);
  });
});
