import { describe, expect, it } from "vitest";
import type { ItemDto } from "./bindings";
import { upcoming } from "./timeline";

const DAY = 86_400;
const NOW = 1_800_000_000;
/** An item rotated 30 days before `due` on a 30-day policy (or never rotated when `due` is null). */
const item = (name: string, env: string, due: number | null, expires: number | null = null) =>
  ({
    id: name,
    env_path: env,
    name,
    version: 1,
    status: "ok",
    rotate_every_days: due === null ? null : 30,
    rotated_at: due === null ? null : due - 30 * DAY,
    due_at: due === null ? expires : expires === null ? due : Math.min(due, expires),
    expires_at: expires,
  }) as unknown as ItemDto;

describe("upcoming", () => {
  it("lists due dates and expiries inside the window, soonest first, past ones left to the table", () => {
    const got = upcoming(
      [
        item("LATE", "web/prod", NOW - DAY),
        item("B", "web/prod", NOW + 10 * DAY, NOW + 3 * DAY),
        item("A", "api/dev", NOW + 10 * DAY),
        item("FAR", "web/prod", NOW + 91 * DAY),
        item("EDGE", "web/prod", NOW + 90 * DAY),
        item("NONE", "web/prod", null),
      ],
      NOW,
      90,
    );
    expect(got.map((e) => [e.item.name, e.kind, e.inDays])).toEqual([
      ["B", "expires", 3],
      ["A", "due", 10],
      ["B", "due", 10],
      ["EDGE", "due", 90],
    ]);
  });

  it("rounds a date later today up to day 0, tomorrow to 1", () => {
    const got = upcoming([item("T", "e/p", NOW), item("U", "e/p", NOW + DAY / 2)], NOW, 90);
    expect(got.map((e) => e.inDays)).toEqual([0, 1]);
  });
});
