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

/** `n` and a noun, singular for 1: `count(3, "credential")` is "3 credentials" (never "credential(s)"). */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Plain words for the signed log's op kinds (the kind itself is a technical detail). */
export const KIND_LABEL: Record<string, string> = {
  genesis: "Vault created",
  "env.add": "Environment added",
  "env.rekey": "Environment re-keyed",
  "item.set": "Credential added or changed",
  "item.delete": "Credential deleted",
  "item.rekey": "Credential re-keyed",
  "item.resolve": "Conflict resolved",
  "item.exposed-values": "Exposed values remembered",
  "item.adopt": "Late change accepted",
  read: "Value read or used",
  "member.add": "Member added",
  "member.role": "Role changed",
  "member.revoke": "Member offboarded",
  grant: "Access granted",
  ungrant: "Access removed",
  share: "Credential shared",
  unshare: "Sharing stopped",
  "share.resign": "Shares signed again",
};

/** The plain label of an op kind, or the kind itself for one this build does not name. */
export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind;
}

/** The generator's character sets, as the add and rotate dialogs offer them. */
export const CHARSETS = [
  { value: "alnum", label: "Letters and digits" },
  { value: "symbols", label: "With symbols" },
  { value: "base64url", label: "Base64url" },
  { value: "hex", label: "Hex" },
  { value: "digits", label: "Digits" },
];
