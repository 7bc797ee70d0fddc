import type { ItemDto } from "./bindings";

/** One date on the rotation timeline. */
export type Upcoming = {
  item: ItemDto;
  /** `due`: the rotation policy's due date; `expires`: the provider's expiry. */
  kind: "due" | "expires";
  /** Unix seconds. */
  at: number;
  /** Whole days from `now`, rounded up (0 = later today). */
  inDays: number;
};

const DAY = 86_400;

/**
 * The rotation due dates and provider expiries from `now` to `days` days
 * ahead, soonest first (then by environment and name). What is already
 * past is overdue or expired: the dashboard's table lists it, not this.
 */
export function upcoming(items: ItemDto[], now: number, days: number): Upcoming[] {
  const end = now + days * DAY;
  const out: Upcoming[] = [];
  for (const item of items) {
    // `due_at` is the sooner of the two; each is placed on its own here.
    const every = item.rotate_every_days;
    const rotation = every != null && item.rotated_at != null ? item.rotated_at + every * DAY : null;
    for (const [kind, at] of [
      ["due", rotation],
      ["expires", item.expires_at],
    ] as const) {
      if (at === null || at === undefined || at < now || at > end) continue;
      out.push({ item, kind, at, inDays: Math.ceil((at - now) / DAY) });
    }
  }
  return out.sort(
    (a, b) => a.at - b.at || a.item.env_path.localeCompare(b.item.env_path) || a.item.name.localeCompare(b.item.name),
  );
}
