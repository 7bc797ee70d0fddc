// Personal overrides in the window (issue 11): the caller's own values for
// keys of an environment, applied by `coffer run`, exports and `inject` on
// their devices. Only names reach the window; a value goes out sealed
// (`set_override`) and never comes back.
import type { EnvPolicyDto, ItemDto, OverrideDto } from "./bindings";

const OVERLAY_ID = "overlay:";

/** A list row for a key only the caller's overlay has (the shared
 * environment lacks it): no version, no rotation, nothing to reveal. */
export function overlayRow(env: string, name: string): ItemDto {
  return { id: `${OVERLAY_ID}${env}/${name}`, env_path: env, name, version: 0, status: "ok", updated_at: 0, conflict: false, unreadable: false };
}

/** Whether a row stands for a key only the caller's overlay has. */
export function isOverlayRow(item: Pick<ItemDto, "id">): boolean {
  return item.id.startsWith(OVERLAY_ID);
}

/** Why the caller cannot create an override in this environment, or
 * null when they can. */
export function forbiddenWhy(p: EnvPolicyDto | null | undefined): string | null {
  if (!p || p.overrides_allowed) return null;
  return p.overrides === "forbid"
    ? `An owner or admin forbade personal overrides in ${p.env}.`
    : `Personal overrides are off in production environments (${p.env}) unless an owner or admin allows them.`;
}

/** What the badge of an overridden row says when hovered. */
export function badgeWhy(o: OverrideDto, env: string): string {
  if (!o.applies) return `Your personal override of ${o.name} is not applied: the policy of ${env} forbids overrides now, so coffer run and exports use the shared value.`;
  return o.added
    ? `Only in your personal overlay: ${env} has no shared ${o.name}; coffer run and exports on your devices add it with your value.`
    : `coffer run and exports on your devices use your own value of ${o.name}, not the shared one.`;
}

/** "A, B and C". */
export function andList(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
