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
