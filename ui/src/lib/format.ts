import type { ItemDto, RotationStatus } from "./bindings";

export const STATUS_LABEL: Record<RotationStatus, string> = {
  exposed: "Exposed",
  expired: "Expired",
  overdue: "Overdue",
  due_soon: "Due soon",
  ok: "OK",
};

/** `YYYY-MM-DD` (UTC) of unix seconds, or an em dash. */
export function date(t: number | null | undefined): string {
  if (t === null || t === undefined) return "—";
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/** The first line of a note, cut at `max` characters. */
export function excerpt(s: string | null | undefined, max = 48): string {
  if (!s) return "";
  const line = s.split("\n")[0];
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

export function itemKey(i: Pick<ItemDto, "env_path" | "name">): string {
  return `${i.env_path}/${i.name}`;
}

/** The lower-cased text a search matches against: name, environment, notes, URL. */
export function searchText(i: ItemDto): string {
  return `${i.name}\n${i.env_path}\n${i.notes ?? ""}\n${i.url ?? ""}`.toLowerCase();
}

/** "just now", "5 min ago", "3 h ago", or the date, of unix seconds. */
export function ago(t: number | null | undefined, now = Date.now() / 1000): string {
  if (t === null || t === undefined) return "never";
  const s = Math.max(0, Math.round(now - t));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return date(t);
}

/** "YYYY-MM-DD HH:MM UTC" of unix seconds. */
export function when(t: number): string {
  return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** Why a credential's row says "Doesn't open" (`ItemDto.unreadable`). */
export const UNREADABLE_WHY = "A teammate's app saved a value that no key opens. Set a new value or restore an older version.";
