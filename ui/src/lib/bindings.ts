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
failed_attempts: number, 
/**
 * Why the session last locked (until the next unlock); `null` before
 * the first lock.
 */
lock_reason: LockReason | null, 
/**
 * What the keychain said when the app tried it at start, if it did not
 * open the identity.
 */
keychain_problem: string | null, 
/**
 * Seconds without activity before Rust locks the session.
 */
idle_lock_secs: number, };

/**
 * Why the session locked.
 */
export type LockReason = "user" | "idle" | "screen_locked" | "suspend";

/**
 * The payload of the `session-locked` event.
 */
export type LockedEvent = { 
/**
 * Why it locked.
 */
reason: LockReason, };

/**
 * The device settings (see `coffer_vault::settings`). Sent back whole by
 * `set_settings`; validated in Rust.
 */
export type SettingsDto = { 
/**
 * Lock after this many minutes without activity (1-240).
 */
auto_lock_minutes: number, 
/**
 * Lock when the screen locks or the machine suspends.
 */
lock_on_screen_lock: boolean, 
/**
 * Clear a copied value after this many seconds (5-600).
 */
clipboard_clear_secs: number, 
/**
 * The rotation "due soon" window in days (1-365).
 */
due_soon_days: number, 
/**
 * Open from the keychain at start when the identity has a keychain slot.
 */
keychain_at_start: boolean, };

/**
 * The keychain entry's state.
 */
export type KeychainEntry = "not_enabled" | "opens" | "missing" | "does_not_open" | "unavailable";

/**
 * Keychain unlock on this device (no secret).
 */
export type KeychainStatusDto = { 
/**
 * The identity has a keychain slot.
 */
enabled: boolean, 
/**
 * This build can use an OS keychain.
 */
supported: boolean, 
/**
 * The platform store (`secret-service`, …, or `none`).
 */
backend: string, 
/**
 * Whether the entry opens the identity.
 */
entry: KeychainEntry, 
/**
 * Why the entry is unusable, as a sentence.
 */
problem: string | null, 
/**
 * Seconds before the next passphrase attempt is allowed.
 */
backoff_remaining_secs: number, };

/**
 * The identity's key-derivation (Argon2id) parameters, read-only.
 */
export type KdfDto = { 
/**
 * Memory in MiB.
 */
memory_mib: number, 
/**
 * Iterations (passes).
 */
iterations: number, 
/**
 * Parallelism (lanes).
 */
parallelism: number, 
/**
 * Whether they meet the current policy.
 */
meets_policy: boolean, 
/**
 * The user chose weaker parameters on purpose (not raised on unlock).
 */
pinned: boolean, 
/**
 * The policy's minimum memory in MiB.
 */
policy_memory_mib: number, 
/**
 * The policy's minimum iterations.
 */
policy_iterations: number, };

/**
 * `change_password`.
 */
export type ChangePasswordArgs = { 
/**
 * The current passphrase.
 */
old_password: string, 
/**
 * The new passphrase (at least 10 characters).
 */
new_password: string, };

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
 * Seconds before the clipboard is cleared (5-600; default: the setting).
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
 * The "due soon" window in days (default: the setting).
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
  unlock_at_start: { args: null; result: AppStatus };
  touch_session: { args: null; result: void };
  get_settings: { args: null; result: SettingsDto };
  set_settings: { args: SettingsDto; result: SettingsDto };
  change_password: { args: ChangePasswordArgs; result: void };
  keychain_enable: { args: null; result: KeychainStatusDto };
  keychain_disable: { args: null; result: KeychainStatusDto };
  keychain_status: { args: null; result: KeychainStatusDto };
  kdf_params: { args: null; result: KdfDto };
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
  "unlock_at_start",
  "touch_session",
  "get_settings",
  "set_settings",
  "change_password",
  "keychain_enable",
  "keychain_disable",
  "keychain_status",
  "kdf_params",
] as const;
