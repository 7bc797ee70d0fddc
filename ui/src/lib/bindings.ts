// Generated from the Rust types in src-tauri (src/dto.rs, src/error.rs, the
// command list in src/lib.rs). Do not edit: run
//   UPDATE_BINDINGS=1 cargo test -p coffer-desktop --lib bindings
// A test fails when this file is stale.

/**
 * What went wrong, for the UI to branch on.
 */
export type IpcErrorCode = "auth" | "not_found" | "conflict" | "permission" | "integrity" | "invalid_input" | "busy" | "keychain" | "internal" | "locked";

/**
 * The error every command returns.
 */
export type IpcError = { 
/**
 * What kind of failure.
 */
code: IpcErrorCode, 
/**
 * One readable sentence for the user.
 */
message: string, };

/**
 * The device identity, public facts only.
 */
export type IdentityDto = { 
/**
 * Display name.
 */
name: string, 
/**
 * Email, if given.
 */
email: string | null, 
/**
 * Fingerprint to compare out of band.
 */
fingerprint: string, };

/**
 * Where the app stands: which screen to show.
 */
export type AppStatus = { 
/**
 * The device identity, if one exists.
 */
identity: IdentityDto | null, 
/**
 * The vault file this window works on.
 */
vault_path: string, 
/**
 * Whether that file exists.
 */
vault_exists: boolean, 
/**
 * The team name of the open vault.
 */
vault_name: string | null, 
/**
 * The identity is unlocked (possibly with no vault yet).
 */
identity_unlocked: boolean, 
/**
 * A vault session is open.
 */
unlocked: boolean, 
/**
 * The identity has a keychain slot.
 */
keychain_enabled: boolean, 
/**
 * This build can use an OS keychain.
 */
keychain_supported: boolean, 
/**
 * Seconds before the next passphrase attempt is allowed.
 */
backoff_remaining_secs: number, 
/**
 * Failed passphrase attempts since the last passphrase unlock (a
 * keychain unlock does not reset them).
 */
failed_attempts: number, };

/**
 * The result of creating an identity.
 */
export type CreateIdentityOutcome = { 
/**
 * The new state (identity unlocked, no vault yet).
 */
status: AppStatus, 
/**
 * Set when keychain unlock was asked for but could not be enabled
 * (the identity was still created; the passphrase works).
 */
keychain_error: string | null, };

/**
 * An environment.
 */
export type EnvDto = { 
/**
 * `PROJECT/ENV`.
 */
path: string, 
/**
 * Project name.
 */
project: string, 
/**
 * Environment name.
 */
name: string, 
/**
 * Default rotation period in days.
 */
rotate_every_days: number | null, 
/**
 * Whether this identity holds its key.
 */
readable: boolean, 
/**
 * This identity's grant (`read`/`write`), if any.
 */
access: string | null, 
/**
 * Live credentials.
 */
items: number, };

/**
 * Rotation status, most urgent first.
 */
export type RotationStatus = "exposed" | "expired" | "overdue" | "due_soon" | "ok";

/**
 * A credential without its value.
 */
export type ItemDto = { 
/**
 * Item id (hex).
 */
id: string, 
/**
 * `PROJECT/ENV`.
 */
env_path: string, 
/**
 * Project.
 */
project: string, 
/**
 * Environment.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Current version.
 */
version: number, 
/**
 * Notes.
 */
notes: string | null, 
/**
 * URL.
 */
url: string | null, 
/**
 * Username at the provider.
 */
username: string | null, 
/**
 * Effective rotation period in days.
 */
rotate_every_days: number | null, 
/**
 * When the value last changed (unix seconds).
 */
rotated_at: number | null, 
/**
 * Provider expiry (unix seconds).
 */
expires_at: number | null, 
/**
 * When it was exposed (unix seconds).
 */
exposed_at: number | null, 
/**
 * Rotation status.
 */
status: RotationStatus, 
/**
 * Next due date (unix seconds).
 */
due_at: number | null, 
/**
 * When the current version was written (unix seconds).
 */
updated_at: number, };

/**
 * One version of a credential (never its value).
 */
export type HistoryDto = { 
/**
 * Version number.
 */
version: number, 
/**
 * Author's name in the vault.
 */
author: string, 
/**
 * When written (unix seconds).
 */
created_at: number, 
/**
 * When the value changed (unix seconds).
 */
rotated_at: number | null, };

/**
 * The result of a set or rotate.
 */
export type SetOutcomeDto = { 
/**
 * The new version.
 */
version: number, 
/**
 * Whether the credential was created.
 */
created: boolean, 
/**
 * Whether the value changed (so it counts as rotated).
 */
value_changed: boolean, };

/**
 * A credential's value, on an explicit reveal.
 */
export type RevealedValue = { 
/**
 * The plaintext value.
 */
value: string, };

/**
 * A freshly generated value, on an explicit "generate".
 */
export type GeneratedValue = { 
/**
 * The plaintext value.
 */
value: string, };

/**
 * The result of a copy.
 */
export type CopyOutcome = { 
/**
 * The clipboard is cleared after this many seconds if it still holds
 * the value.
 */
clear_after_secs: number, };

/**
 * How many credentials need attention, per status.
 */
export type RotationCounts = { 
/**
 * Exposed.
 */
exposed: number, 
/**
 * Expired.
 */
expired: number, 
/**
 * Overdue.
 */
overdue: number, 
/**
 * Due soon.
 */
due_soon: number, };

/**
 * The rotation dashboard: credentials needing attention, most urgent first.
 */
export type RotationReport = { 
/**
 * Credentials that are not `ok`, most urgent first.
 */
items: Array<ItemDto>, 
/**
 * Counts per status.
 */
counts: RotationCounts, 
/**
 * How many credentials were checked.
 */
checked: number, };

/**
 * `create_identity`.
 */
export type CreateIdentityArgs = { 
/**
 * Display name.
 */
name: string, 
/**
 * Email (optional).
 */
email: string | null, 
/**
 * The passphrase.
 */
password: string, 
/**
 * Also add a keychain slot.
 */
enable_keychain: boolean, };

/**
 * `create_vault`.
 */
export type CreateVaultArgs = { 
/**
 * The team's name.
 */
team_name: string, };

/**
 * `unlock`: with the passphrase or the keychain.
 */
export type UnlockArgs = { "method": "password", 
/**
 * The passphrase.
 */
password: string, } | { "method": "keychain" };

/**
 * `add_env`.
 */
export type AddEnvArgs = { 
/**
 * `PROJECT/ENV`.
 */
path: string, 
/**
 * Default rotation period: `90d`, `12w`, `1y` (optional).
 */
rotate_every: string | null, };

/**
 * `list_items`.
 */
export type ListItemsArgs = { 
/**
 * `null` (everything), `PROJECT` or `PROJECT/ENV`.
 */
scope: string | null, };

/**
 * One credential: `reveal_item`, `delete_item`, `item_history`.
 */
export type ItemRef = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, };

/**
 * `copy_item`.
 */
export type CopyItemArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Seconds before the clipboard is cleared (5-600; default 30).
 */
clear_after_secs: number | null, };

/**
 * `set_item`: create a credential or change it. `null` keeps a field.
 */
export type SetItemArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * The value (required for a new credential).
 */
value: string | null, 
/**
 * Notes.
 */
notes: string | null, 
/**
 * URL.
 */
url: string | null, 
/**
 * Username at the provider.
 */
username: string | null, 
/**
 * Rotation period: `90d`, `12w`, `1y`.
 */
rotate_every: string | null, 
/**
 * Provider expiry: `YYYY-MM-DD`.
 */
expires: string | null, };

/**
 * `generate_value` and generated rotations.
 */
export type GenerateArgs = { 
/**
 * Length in characters (8-4096).
 */
length: number, 
/**
 * `alnum`, `hex`, `base64url`, `symbols` or `digits`.
 */
charset: string, };

/**
 * `rotation_list`.
 */
export type RotationListArgs = { 
/**
 * The "due soon" window in days (default 14).
 */
due_soon_days: number | null, };

/**
 * `rotate_item`: a pasted value, or one generated in Rust (so it never
 * crosses IPC). Exactly one of the two.
 */
export type RotateItemArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * The new value, pasted.
 */
value: string | null, 
/**
 * Or: generate it.
 */
generate: GenerateArgs | null, };

/**
 * `audit_log`: filters and one page, newest first.
 */
export type AuditQueryArgs = { 
/**
 * Text to find (time, author, device, kind, outcome, summary).
 */
text: string | null, 
/**
 * Only this member's entries (id from [`AuditPageDto::members`]).
 */
member: string | null, 
/**
 * Only this device's entries (id from [`AuditPageDto::devices`]).
 */
device: string | null, 
/**
 * Only this kind (from [`AuditPageDto::kinds`]).
 */
kind: string | null, 
/**
 * Only entries this replica denied.
 */
denied_only: boolean, 
/**
 * Matching entries to skip.
 */
offset: number, 
/**
 * Page size (1-1000).
 */
limit: number, };

/**
 * One audit-log entry (never a value).
 */
export type AuditEntryDto = { 
/**
 * Position in this replica's log.
 */
seq: number, 
/**
 * Time (UTC, RFC 3339: `2026-11-22T19:54:20Z`).
 */
time: string, 
/**
 * Author's name.
 */
author: string, 
/**
 * Device (short id).
 */
device: string, 
/**
 * Per-device sequence number.
 */
device_seq: number, 
/**
 * Kind (`item.set`, `read`…).
 */
kind: string, 
/**
 * What happened, without secrets.
 */
summary: string, 
/**
 * Whether this replica refused it.
 */
denied: boolean, };

/**
 * A choice for a filter.
 */
export type AuditFacetDto = { 
/**
 * Id (hex).
 */
id: string, 
/**
 * Label.
 */
label: string, };

/**
 * One page of the audit log.
 */
export type AuditPageDto = { 
/**
 * Entries, newest first.
 */
entries: Array<AuditEntryDto>, 
/**
 * Entries matching the filters.
 */
total: number, 
/**
 * Entries in the whole log.
 */
log_entries: number, 
/**
 * Members who signed entries.
 */
members: Array<AuditFacetDto>, 
/**
 * Devices that wrote entries.
 */
devices: Array<AuditFacetDto>, 
/**
 * Kinds present.
 */
kinds: Array<string>, };

/**
 * The recorded-head check of a chain.
 */
export type HeadStatus = "ok" | "truncated" | "not_recorded";

/**
 * One device's chain.
 */
export type ChainDto = { 
/**
 * Device (short id).
 */
device: string, 
/**
 * Member whose device it is.
 */
author: string, 
/**
 * This device's own chain.
 */
this_device: boolean, 
/**
 * Entries.
 */
entries: number, 
/**
 * Newest per-device sequence number.
 */
last_seq: number, 
/**
 * Sequence, links and hashes are intact.
 */
linked: boolean, 
/**
 * Every signature verifies.
 */
signatures_ok: boolean, 
/**
 * Every entry replays with its recorded outcome.
 */
replay_ok: boolean, 
/**
 * The recorded-head check.
 */
head: HeadStatus, 
/**
 * All of the above.
 */
ok: boolean, };

/**
 * The result of `verify_vault`.
 */
export type VerifyDto = { 
/**
 * Everything verified.
 */
ok: boolean, 
/**
 * One sentence: what verified, or the (first) problem.
 */
verdict: string, 
/**
 * Entries checked.
 */
entries: number, 
/**
 * Chains checked.
 */
devices: number, 
/**
 * Credentials opened (every version).
 */
items_opened: number, 
/**
 * Every problem found.
 */
problems: Array<string>, 
/**
 * Each device's chain.
 */
chains: Array<ChainDto>, 
/**
 * The state matches a replay of the log (`null`: not compared).
 */
state_matches: boolean | null, };

/**
 * `export_env`: write an environment to a file, in Rust.
 */
export type ExportArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * `dotenv`, `shell`, `json` or `example`.
 */
format: string, 
/**
 * `portable`, `node`, `python`, `rust`, `compose` or `docker` (dotenv only).
 */
dialect: string, 
/**
 * The file: a full path whose folder exists.
 */
path: string, 
/**
 * Replace the file if it exists.
 */
overwrite: boolean, 
/**
 * Write it even though git does not ignore it.
 */
write_anyway: boolean, };

/**
 * The result of an export.
 */
export type ExportOutcome = { 
/**
 * The file written (mode 0600).
 */
path: string, 
/**
 * Variables written.
 */
variables: number, };

/**
 * `restore_version`.
 */
export type RestoreArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * The old version whose value becomes the new version.
 */
version: number, };

/**
 * `open_vault`: an existing vault file, opened with the unlocked identity.
 */
export type OpenVaultArgs = { 
/**
 * The vault file: a full path.
 */
path: string, };

/** Every IPC command: its argument (passed as `{ args }`) and result. */
export type Commands = {
  app_status: { args: null; result: AppStatus };
  create_identity: { args: CreateIdentityArgs; result: CreateIdentityOutcome };
  create_vault: { args: CreateVaultArgs; result: AppStatus };
  unlock: { args: UnlockArgs; result: AppStatus };
  lock: { args: null; result: AppStatus };
  list_envs: { args: null; result: Array<EnvDto> };
  add_env: { args: AddEnvArgs; result: EnvDto };
  list_items: { args: ListItemsArgs; result: Array<ItemDto> };
  reveal_item: { args: ItemRef; result: RevealedValue };
  copy_item: { args: CopyItemArgs; result: CopyOutcome };
  set_item: { args: SetItemArgs; result: SetOutcomeDto };
  delete_item: { args: ItemRef; result: void };
  item_history: { args: ItemRef; result: Array<HistoryDto> };
  generate_value: { args: GenerateArgs; result: GeneratedValue };
  rotation_list: { args: RotationListArgs; result: RotationReport };
  rotate_item: { args: RotateItemArgs; result: SetOutcomeDto };
  audit_log: { args: AuditQueryArgs; result: AuditPageDto };
  verify_vault: { args: null; result: VerifyDto };
  export_env: { args: ExportArgs; result: ExportOutcome };
  restore_version: { args: RestoreArgs; result: SetOutcomeDto };
  open_vault: { args: OpenVaultArgs; result: AppStatus };
};

/** The command names. */
export const COMMANDS = [
  "app_status",
  "create_identity",
  "create_vault",
  "unlock",
  "lock",
  "list_envs",
  "add_env",
  "list_items",
  "reveal_item",
  "copy_item",
  "set_item",
  "delete_item",
  "item_history",
  "generate_value",
  "rotation_list",
  "rotate_item",
  "audit_log",
  "verify_vault",
  "export_env",
  "restore_version",
  "open_vault",
] as const;
