import { describe, expect, it } from "vitest";
import { rowWindow } from "./virtual";

describe("rowWindow", () => {
  it("renders the visible rows plus overscan, spacers make up the rest", () => {
    const w = rowWindow(10_000, 40, 4000, 400, 5);
    expect(w).toEqual({ start: 95, end: 116, before: 95 * 40, after: (10_000 - 116) * 40 });
    // The total height is always the full list's.
    expect(w.before + (w.end - w.start) * 40 + w.after).toBe(10_000 * 40);
  });

  it("clamps at both ends", () => {
    expect(rowWindow(10_000, 40, -50, 400, 5)).toMatchObject({ start: 0, before: 0 });
    const end = rowWindow(10_000, 40, 10_000 * 40 + 999, 400, 5);
    expect(end.end).toBe(10_000);
    expect(end.after).toBe(0);
    expect(end.start).toBeLessThan(10_000);
  });

  it("handles empty lists and tiny viewports", () => {
    expect(rowWindow(0, 40, 0, 400)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    expect(rowWindow(3, 40, 0, 0, 0)).toMatchObject({ start: 0, end: 1 });
  });

  it("never renders more than a screenful plus overscan", () => {
    for (const top of [0, 123, 5000, 399_960]) {
      const w = rowWindow(10_000, 40, top, 600, 8);
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(600 / 40) + 1 + 16);
    }
  });
});
