// Generated from the Rust types in src-tauri (src/dto.rs, src/error.rs, the
// command list in src/lib.rs). Do not edit: run
//   UPDATE_BINDINGS=1 cargo test -p coffer-desktop --lib bindings
// A test fails when this file is stale.

/**
 * What went wrong, for the UI to branch on.
 */
export type IpcErrorCode = "auth" | "not_found" | "conflict" | "permission" | "integrity" | "invalid_input" | "busy" | "keychain" | "internal" | "locked" | "channel";

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
 * With `lock_reason` `vault_refused`: why the vault file was refused
 * (one sentence from the vault, no secret in it).
 */
lock_detail: string | null, 
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
export type LockReason = "user" | "idle" | "screen_locked" | "suspend" | "vault_refused";

/**
 * The payload of the `session-locked` event.
 */
export type LockedEvent = { 
/**
 * Why it locked.
 */
reason: LockReason, };

/**
 * The payload of the `vault-changed` event: another program (the
 * `coffer` CLI on this device) changed the open vault.
 */
export type VaultChangedEvent = Record<symbol, never>;

/**
 * What a native file dialog is for (`pick_path`); a chosen path is
 * accepted once, by the command of that purpose only.
 */
export type PickPurpose = "export" | "report" | "open_vault" | "scan_folder" | "example";

/**
 * `pick_path`.
 */
export type PickPathArgs = { 
/**
 * What the path is for.
 */
purpose: PickPurpose, 
/**
 * What the window's field holds now (a file name or a full path), to
 * start the dialog there; `null` for the defaults.
 */
current: string | null, };

/**
 * The path the user chose, or `null` when they cancelled.
 */
export type PickedPathDto = { 
/**
 * The chosen file (absolute), to pass unchanged to the command.
 */
path: string | null, };

/**
 * `scan_folder`: the options of `coffer scan PATH`.
 */
export type ScanFolderArgs = { 
/**
 * The folder: chosen with `pick_path` (purpose `scan_folder`) or
 * typed (then inside home or the temporary folder).
 */
path: string, 
/**
 * Inside a git work tree, only files git would see
 * (`--respect-gitignore`); by default ignored files count too.
 */
respect_gitignore: boolean, 
/**
 * Only current values (`--current-only`); by default old versions,
 * possibly still live at the provider, count too.
 */
current_only: boolean, };

/**
 * Where a running scan is (polled by the UI while `scan_folder` runs).
 */
export type ScanProgressDto = { 
/**
 * A scan is running.
 */
running: boolean, 
/**
 * `listing` (walking the folder), `reading` (decrypting the values to
 * look for), `searching` (reading files), or `done`.
 */
phase: string, 
/**
 * Files read so far.
 */
files_done: number, 
/**
 * Files to read (known once listing ended).
 */
files_total: number, 
/**
 * Bytes read so far.
 */
bytes: number, };

/**
 * One place a value was found.
 */
export type ScanPlaceDto = { 
/**
 * The file, relative to the scanned folder.
 */
path: string, 
/**
 * 1-based line.
 */
line: number, 
/**
 * How it was written there (`raw`, `base64`, `percent`, `json`…).
 */
encoding: string, };

/**
 * One version of a credential found, and where.
 */
export type ScanVersionDto = { 
/**
 * The version whose value was found.
 */
version: number, 
/**
 * Whether it is the current version (else an old one, which may
 * still work at the provider).
 */
current: boolean, 
/**
 * `current`, `old`, `waiting` (beside the current one in an unresolved
 * sync conflict) or `deleted` (of a deleted credential): all may still
 * work at the provider.
 */
state: string, 
/**
 * Where, in order of path and line.
 */
places: Array<ScanPlaceDto>, };

/**
 * One credential with findings.
 */
export type ScanCredentialDto = { 
/**
 * The item's id (hex): what `scan_mark_exposed` takes.
 */
id: string, 
/**
 * `PROJECT/ENV`.
 */
env_path: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Already marked exposed before this scan.
 */
exposed: boolean, 
/**
 * Places in all.
 */
places: number, 
/**
 * The versions found, current first, then newest first.
 */
versions: Array<ScanVersionDto>, };

/**
 * The outcome of `scan_folder`, grouped by credential.
 */
export type ScanReportDto = { 
/**
 * The folder scanned (resolved).
 */
folder: string, 
/**
 * Files read.
 */
files: number, 
/**
 * Bytes read.
 */
bytes: number, 
/**
 * Values searched for (each with its encodings).
 */
values: number, 
/**
 * Values shorter than 8 bytes, not searched.
 */
skipped_short: number, 
/**
 * Files or folders that could not be read (at most 20 named).
 */
unreadable: Array<string>, 
/**
 * How many could not be read in all.
 */
unreadable_count: number, 
/**
 * `respect_gitignore` was asked outside a git work tree: every file
 * was scanned.
 */
not_in_git: boolean, 
/**
 * Stopped by `scan_cancel`: what was found until then.
 */
cancelled: boolean, 
/**
 * The credentials found, in vault order (`PROJECT/ENV/KEY`).
 */
credentials: Array<ScanCredentialDto>, };

/**
 * `scan_mark_exposed`: credentials of the last scan to mark exposed.
 */
export type ScanMarkArgs = { 
/**
 * Item ids from the last scan's report; `null`: every one it found.
 */
ids: Array<string> | null, };

/**
 * What `scan_mark_exposed` did.
 */
export type ScanMarkedDto = { 
/**
 * Newly marked exposed (already exposed ones are left as they are).
 */
marked: number, };

/**
 * `hygiene_report`.
 */
export type HygieneArgs = { 
/**
 * `PROJECT` or `PROJECT/ENV`; `null`: everything you can read.
 */
scope: string | null, };

/**
 * A credential a hygiene finding is about.
 */
export type HygieneCredentialDto = { 
/**
 * `PROJECT/ENV`.
 */
env_path: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Whether it is your own personal override of that key (not the
 * shared credential).
 */
personal_override: boolean, };

/**
 * One finding of `coffer lint`.
 */
export type HygieneFindingDto = { 
/**
 * `reused` (one value in several environments or projects),
 * `placeholder` (looks like one, outside development) or `short` (a
 * generated value shorter than its environment's policy).
 */
kind: string, 
/**
 * The credentials concerned.
 */
credentials: Array<HygieneCredentialDto>, 
/**
 * What is wrong, in words (no value).
 */
detail: string, };

/**
 * `check_example`: an environment against an example file.
 */
export type CheckExampleArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * The example file (`.env.example`): chosen in the dialog, or typed
 * (then inside home or the temporary folder).
 */
path: string, };

/**
 * What `check_example` found: names only.
 */
export type ExampleCheckDto = { 
/**
 * The file read (its full path).
 */
example: string, 
/**
 * How many keys it names.
 */
wanted: number, 
/**
 * Keys it names that the environment lacks, in the file's order.
 */
missing: Array<string>, 
/**
 * Keys the environment has that it does not name, sorted.
 */
extra: Array<string>, };

/**
 * `env_policy`: one environment.
 */
export type EnvArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, };

/**
 * `list_overrides`: of one environment, or of every one.
 */
export type ListOverridesArgs = { 
/**
 * `PROJECT/ENV`, or null for every environment.
 */
env: string | null, };

/**
 * One of the caller's personal overrides in an environment (its name,
 * never its value).
 */
export type OverrideDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * The key it overrides or adds.
 */
name: string, 
/**
 * The shared environment lacks the key: the override adds it.
 */
added: boolean, 
/**
 * It applies now (the environment's policy allows overrides); when
 * not, `coffer run` and exports use the shared value.
 */
applies: boolean, };

/**
 * `set_override`: the caller's own value for `name` in `env`.
 */
export type SetOverrideArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name (an environment variable name).
 */
name: string, 
/**
 * The value, sealed to the session's channel (the page's view: a string).
 */
value: string, };

/**
 * What `set_override` did.
 */
export type SetOverrideOutcome = { 
/**
 * A new override (else an existing one changed).
 */
created: boolean, 
/**
 * The shared environment lacks the key: the override adds it.
 */
added: boolean, };

/**
 * An environment's override policy, as chosen.
 */
export type OverridePolicyDto = "default" | "allow" | "forbid";

/**
 * `env_policy`, `set_env_policy`'s result.
 */
export type EnvPolicyDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * What an owner or admin chose (`default` when nobody did).
 */
overrides: OverridePolicyDto, 
/**
 * Whether personal overrides are allowed there now.
 */
overrides_allowed: boolean, 
/**
 * Whether the caller may change the policy (owners and admins).
 */
can_change: boolean, };

/**
 * `set_env_policy` (owners and admins).
 */
export type SetEnvPolicyArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * The policy to store.
 */
overrides: OverridePolicyDto, };

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
 * `rate_passphrase`: a passphrase being typed, and the words that count as
 * known for its owner (the name and email typed beside it, if any; the
 * existing identity's are added by the command).
 */
export type RatePassphraseArgs = { 
/**
 * The passphrase (sealed by the page; opened into a zeroizing buffer).
 */
password: string, 
/**
 * The name typed on the first run, if any.
 */
name: string | null, 
/**
 * The email typed on the first run, if any.
 */
email: string | null, };

/**
 * `open_channel`: the page's ephemeral X25519 public key.
 */
export type OpenChannelArgs = { 
/**
 * 32 bytes, base64.
 */
page_key: string, };

/**
 * `open_channel`: this side's ephemeral X25519 public key.
 */
export type ChannelDto = { 
/**
 * 32 bytes, base64.
 */
rust_key: string, };

/**
 * What the passphrase policy (`coffer_vault::passphrase`, the same as the
 * CLI's) says about a passphrase. Holds no part of it.
 */
export type PassphraseStrengthDto = { 
/**
 * 0 (very weak) to 4 (very strong).
 */
score: number, 
/**
 * The score in words.
 */
label: string, 
/**
 * What to change (empty when nothing).
 */
feedback: string, 
/**
 * Whether creating an identity or changing the passphrase accepts it.
 */
acceptable: boolean, 
/**
 * The message the CLI and `create_identity` / `change_password` give
 * when they refuse it; `None` when acceptable.
 */
refusal: string | null, };

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
 * Whether this identity may change its credentials (the app offers
 * add, edit, rotate, share, delete and restore only then).
 */
writable: boolean, 
/**
 * Live credentials.
 */
items: number, };

/**
 * Rotation status, most urgent first.
 */
export type RotationStatus = "exposed" | "expired" | "overdue" | "due_soon" | "ok";

/**
 * A credential without its value. Listings carry 10,000 of these, so
 * absent fields are left out rather than sent as `null` (the TypeScript
 * type is `field?: T | null`), and the project and environment are only
 * in `env_path`: a third less JSON to move and parse after an unlock
 * (docs/desktop.md, "Large vaults").
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
notes?: string | null, 
/**
 * URL.
 */
url?: string | null, 
/**
 * Username at the provider.
 */
username?: string | null, 
/**
 * Effective rotation period in days.
 */
rotate_every_days?: number | null, 
/**
 * When the value last changed (unix seconds).
 */
rotated_at?: number | null, 
/**
 * Provider expiry (unix seconds).
 */
expires_at?: number | null, 
/**
 * When it was exposed (unix seconds).
 */
exposed_at?: number | null, 
/**
 * Rotation status.
 */
status: RotationStatus, 
/**
 * Next due date (unix seconds).
 */
due_at?: number | null, 
/**
 * When the current version was written (unix seconds).
 */
updated_at: number, 
/**
 * Why this name decides what code runs (`LD_PRELOAD`, `NODE_OPTIONS`,
 * …; `coffer_vault::dangerous`), when it does: the row shows a
 * warning, since `coffer run` and environment exports refuse it unless
 * allowed by name.
 */
dangerous?: string | null, 
/**
 * Versions written concurrently with the current one wait to be
 * resolved (sync).
 */
conflict: boolean, 
/**
 * The current version does not open (a teammate's client wrote a
 * value no key opens): the fields are the newest older version's, and
 * reveal, copy and export fail with an error naming the writer until
 * someone sets a new value or restores an older version.
 */
unreadable: boolean, };

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
rotated_at: number | null, 
/**
 * Written concurrently with the current version (waiting to be
 * resolved).
 */
conflict: boolean, 
/**
 * Waiting, and sealed under a key an offboarding replaced (written by
 * someone who had not seen it): the removed member could read it, so
 * keeping it marks the credential exposed.
 */
stale: boolean, 
/**
 * Stale, and this identity never held the replaced key: it cannot be
 * shown or kept here (an owner or admin can).
 */
unreadable: boolean, };

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
 * `vault_snapshot`: what the main window shows, from one pass.
 */
export type VaultSnapshot = { 
/**
 * Every environment.
 */
envs: Array<EnvDto>, 
/**
 * Every credential (never values).
 */
items: Array<ItemDto>, 
/**
 * The rotation dashboard's report over the same credentials.
 */
rotation: RotationReport, 
/**
 * Whether this identity manages the vault (an owner or admin): the app
 * offers adding, renaming and removing environments only then.
 */
manages: boolean, };

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
 * `rename_env`.
 */
export type RenameEnvArgs = { 
/**
 * `PROJECT/ENV` now.
 */
from: string, 
/**
 * The new `PROJECT/ENV` (another project moves it there).
 */
to: string, };

/**
 * `removal_preview`, `remove_env`.
 */
export type RemoveEnvArgs = { 
/**
 * `PROJECT/ENV`, or `PROJECT` (every environment of it).
 */
scope: string, };

/**
 * What removing one environment hides.
 */
export type EnvRemovalDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Credential names in it this identity can read, sorted.
 */
credentials: Array<string>, 
/**
 * Credentials in it this identity cannot read.
 */
unreadable: number, 
/**
 * Who holds a grant on it (`NAME:read|write`).
 */
members: Array<string>, };

/**
 * `removal_preview`: what a removal hides (names only).
 */
export type RemovalPreviewDto = { 
/**
 * The environments it removes.
 */
envs: Array<EnvRemovalDto>, };

/**
 * `remove_env`: the environments removed.
 */
export type RemovedDto = { 
/**
 * `PROJECT/ENV` of each.
 */
removed: Array<string>, };

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
generate: GenerateArgs | null, 
/**
 * The new value's provider expiry (`YYYY-MM-DD`). Required (or
 * `no_expiry`) when the credential has one: it belonged to the old
 * value.
 */
expires: string | null, 
/**
 * The new value has no provider expiry.
 */
no_expiry: boolean, };

/**
 * A member's role.
 */
export type MemberRole = "owner" | "admin" | "member" | "reader";

/**
 * Access to one environment.
 */
export type AccessLevel = "none" | "read" | "write";

/**
 * One environment grant.
 */
export type GrantDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * `read` or `write` (`none` is not a grant).
 */
access: AccessLevel, };

/**
 * A member as listed.
 */
export type MemberDto = { 
/**
 * Name in this vault.
 */
name: string, 
/**
 * Email their identity carries.
 */
email: string | null, 
/**
 * Role.
 */
role: MemberRole, 
/**
 * `active`, or `revoked` after offboarding.
 */
revoked: boolean, 
/**
 * The pinned fingerprint (eight groups of four hex digits).
 */
fingerprint: string, 
/**
 * Environment grants.
 */
grants: Array<GrantDto>, 
/**
 * Who added them (none for the vault's creator).
 */
added_by: string | null, 
/**
 * When (unix seconds).
 */
added_at: number, 
/**
 * When revoked (unix seconds).
 */
revoked_at: number | null, 
/**
 * This is the unlocked identity.
 */
is_me: boolean, };

/**
 * A pasted public identity, checked, not added yet.
 */
export type IdentityPreviewDto = { 
/**
 * The name its owner chose.
 */
name: string, 
/**
 * Their email, if any.
 */
email: string | null, 
/**
 * The fingerprint to compare with what the teammate reads out.
 */
fingerprint: string, 
/**
 * The member this identity already is in this vault, if any.
 */
already_member: string | null, };

/**
 * Who a credential is shared with.
 */
export type ItemSharingDto = { 
/**
 * Shared with (entry shares).
 */
shared_with: Array<string>, 
/**
 * Could be shared with (no key for the environment, not shared yet).
 */
candidates: Array<string>, 
/**
 * Read it through the environment.
 */
via_environment: Array<string>, };

/**
 * One environment an offboarding re-keys.
 */
export type RekeyPreviewDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Items re-encrypted (every version).
 */
items: number, 
/**
 * Who keeps access.
 */
keep_access: Array<string>, };

/**
 * What offboarding would do (nothing changed yet).
 */
export type OffboardPreviewDto = { 
/**
 * The member.
 */
member: string, 
/**
 * Their fingerprint.
 */
fingerprint: string, 
/**
 * Environments to re-key.
 */
rekey: Array<RekeyPreviewDto>, 
/**
 * Credentials to mark exposed, `PROJECT/ENV/KEY`.
 */
exposed: Array<string>, 
/**
 * Why it would be refused, as a sentence (`null`: it can proceed).
 */
refusal: string | null, };

/**
 * Where a running offboarding is (polled by the UI).
 */
export type OffboardProgressDto = { 
/**
 * An offboarding is running.
 */
running: boolean, 
/**
 * Who is being offboarded (the last one, when not running).
 */
member: string | null, 
/**
 * Items re-encrypted so far.
 */
done: number, 
/**
 * Items to re-encrypt.
 */
total: number, };

/**
 * One exposed credential.
 */
export type ExposedItemDto = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name (or `item <id>` if you cannot read it).
 */
key: string, 
/**
 * Where it is managed.
 */
url: string | null, 
/**
 * Notes (provider, owner, how to rotate).
 */
notes: string | null, 
/**
 * When its value last changed (unix seconds).
 */
last_rotated: number | null, 
/**
 * Still to rotate at the provider (its value has not changed since).
 */
open: boolean, 
/**
 * Who else can read it now.
 */
others_with_access: Array<string>, };

/**
 * What an offboarded member could read, and what is still to rotate.
 */
export type ExposureReportDto = { 
/**
 * The member.
 */
member: string, 
/**
 * Their fingerprint.
 */
fingerprint: string, 
/**
 * When revoked (unix seconds).
 */
revoked_at: number | null, 
/**
 * Credentials still to rotate.
 */
open: number, 
/**
 * Every credential they could read, by environment then key.
 */
items: Array<ExposedItemDto>, };

/**
 * Where a saved report went.
 */
export type SavedReportDto = { 
/**
 * The absolute path written.
 */
path: string, 
/**
 * Bytes written.
 */
bytes: number, };

/**
 * A member by name: `offboard_preview`, `exposure_report`.
 */
export type MemberRef = { 
/**
 * Member name.
 */
name: string, };

/**
 * `inspect_identity`.
 */
export type InspectIdentityArgs = { 
/**
 * The pasted `coffer1-…` string.
 */
public_identity: string, };

/**
 * `add_member`.
 */
export type AddMemberArgs = { 
/**
 * The pasted `coffer1-…` string.
 */
public_identity: string, 
/**
 * Their name in this vault.
 */
name: string, 
/**
 * Role.
 */
role: MemberRole, 
/**
 * Initial grants.
 */
grants: Array<GrantDto>, 
/**
 * The fingerprint the user confirmed with the teammate (a mismatch is
 * refused by the vault).
 */
fingerprint: string, };

/**
 * `set_member_role`.
 */
export type SetRoleArgs = { 
/**
 * Member name.
 */
name: string, 
/**
 * The new role.
 */
role: MemberRole, };

/**
 * `set_access`: one cell of the access matrix.
 */
export type SetAccessArgs = { 
/**
 * Member name.
 */
member: string, 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * `none` removes access (and re-keys the environment).
 */
access: AccessLevel, };

/**
 * `share_item` / `unshare_item`.
 */
export type ShareArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Member name.
 */
member: string, };

/**
 * `offboard_member`.
 */
export type OffboardArgs = { 
/**
 * Member name.
 */
name: string, 
/**
 * The name as the user typed it to confirm; must equal `name`.
 */
confirm_name: string, };

/**
 * Report file format.
 */
export type ReportFormat = "markdown" | "csv";

/**
 * `save_exposure_report`.
 */
export type SaveReportArgs = { 
/**
 * The offboarded member.
 */
member: string, 
/**
 * Markdown or CSV.
 */
format: ReportFormat, 
/**
 * Absolute path (or `~/…`) of the file to write.
 */
path: string, 
/**
 * Replace an existing file.
 */
overwrite: boolean, };

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
variables: number, 
/**
 * Keys whose shared value the caller's personal overrides replaced
 * in the file (names only).
 */
overridden: Array<string>, 
/**
 * Keys the caller's personal overrides added (the shared
 * environment lacks them).
 */
added: Array<string>, };

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

/**
 * Where a team's feeds travel.
 */
export type RemoteKind = "folder" | "git";

/**
 * A sync remote as the user typed it.
 */
export type RemoteArgs = { 
/**
 * Folder or git.
 */
kind: RemoteKind, 
/**
 * The folder's full path, or the git URL / bare repository path.
 */
location: string, };

/**
 * `join_vault`: the remote, and the owner fingerprint the user compared
 * (the join is refused if the remote now names another owner).
 */
export type JoinArgs = { 
/**
 * Where the feeds are.
 */
remote: RemoteArgs, 
/**
 * The owner's fingerprint, as shown by `join_preview` and confirmed.
 */
owner_fingerprint: string, };

/**
 * What a sync folder says about its vault, for the user to confirm
 * before joining. The owner's fingerprint comes from the signed genesis
 * entry, not from the folder's (unsigned) descriptor.
 */
export type JoinPreviewDto = { 
/**
 * The team name.
 */
vault_name: string, 
/**
 * The vault id (hex).
 */
vault_id: string, 
/**
 * The founding owner's fingerprint, to compare out of band.
 */
owner_fingerprint: string, };

/**
 * One feed (a device's signed entries) as this device sees it.
 */
export type FeedDto = { 
/**
 * The device id (hex).
 */
device: string, 
/**
 * This device's own feed.
 */
mine: boolean, 
/**
 * Members who signed its entries.
 */
authors: Array<string>, 
/**
 * Entries applied here.
 */
applied: number, 
/**
 * Entries in the sync folder.
 */
in_folder: number, 
/**
 * Entries refused (with their reasons in the audit log).
 */
denied: number, 
/**
 * When its last applied entry was written (unix seconds).
 */
last_op_at: number | null, 
/**
 * Why the feed is quarantined, if it is.
 */
quarantined: string | null, };

/**
 * An entry another device sent that this device refused, and why.
 */
export type RejectedDto = { 
/**
 * The device id (hex) of its feed.
 */
device: string, 
/**
 * Its position in that feed.
 */
seq: number, 
/**
 * Who signed it.
 */
author: string, 
/**
 * What it tried to do.
 */
kind: string, 
/**
 * Why it was refused.
 */
reason: string, };

/**
 * The sync state the sidebar and the Sync screen show.
 */
export type SyncStateDto = { 
/**
 * The vault syncs (set up here, or joined).
 */
configured: boolean, 
/**
 * Folder or git, when configured.
 */
kind: RemoteKind | null, 
/**
 * The remote, for people ("folder /mnt/team", "git git@host:team").
 */
remote: string | null, 
/**
 * The folder (or the git clone) on this machine.
 */
folder: string | null, 
/**
 * When this device last synced (unix seconds).
 */
last_sync: number | null, 
/**
 * This device's entries not yet published.
 */
pending: number, 
/**
 * Entries from other devices refused here.
 */
rejected: number, 
/**
 * Feeds quarantined for tampering.
 */
quarantined: number, 
/**
 * Every feed.
 */
feeds: Array<FeedDto>, };

/**
 * What one sync did, with the state after it.
 */
export type SyncOutcomeDto = { 
/**
 * Entries read from other devices' feeds.
 */
received: number, 
/**
 * Of those, applied.
 */
applied: number, 
/**
 * Of those, refused, with why.
 */
denied: Array<RejectedDto>, 
/**
 * This device's entries published.
 */
published: number, 
/**
 * Feeds quarantined by this sync (tampering), with why.
 */
quarantined: Array<string>, 
/**
 * Entries waiting for an earlier one (not applied yet).
 */
held_back: Array<string>, 
/**
 * Things the user should know (stray files, repaired entries).
 */
warnings: Array<string>, 
/**
 * The state after the sync.
 */
state: SyncStateDto, };

/**
 * `item_conflicts`: a credential, and whether to show the values (logged).
 */
export type ConflictArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Include the values (a logged history read).
 */
reveal: boolean, };

/**
 * One side of a conflict, with its value only when revealed.
 */
export type ConflictVersionDto = { 
/**
 * Who wrote it, when.
 */
version: HistoryDto, 
/**
 * The value, only when asked for.
 */
value: string | null, };

/**
 * A credential's current version and the versions written concurrently
 * with it (oldest first): the user keeps one.
 */
export type ConflictsDto = { 
/**
 * The version the vault shows now.
 */
current: ConflictVersionDto, 
/**
 * The concurrent versions waiting beside it (1-based `keep` order).
 */
waiting: Array<ConflictVersionDto>, };

/**
 * `resolve_conflict`: keep the current version (`keep: null`) or the
 * n-th waiting one (1-based).
 */
export type ResolveArgs = { 
/**
 * `PROJECT/ENV`.
 */
env: string, 
/**
 * Key name.
 */
name: string, 
/**
 * Which waiting version to keep; `null` keeps the current one.
 */
keep: number | null, };

/**
 * This device's public identity, to send to a team's admin (who adds it
 * with `member add`) before joining.
 */
export type PublicIdentityDto = { 
/**
 * The whole public identity string (`coffer identity show`).
 */
public: string, 
/**
 * Its fingerprint, to compare out of band.
 */
fingerprint: string, };

/**
 * What `rebuild_vault` did.
 */
export type RebuildOutcomeDto = { 
/**
 * Where the app stands now (unlocked).
 */
status: AppStatus, 
/**
 * The replica did not open and was rebuilt from the sync folder
 * (false: it opened and was only replayed).
 */
rebuilt: boolean, 
/**
 * Where the replica that did not open was moved.
 */
moved_aside: string | null, 
/**
 * This device's offline changes kept from it.
 */
salvaged: number, 
/**
 * Its entries that did not verify and were dropped (never published).
 */
dropped: number, };

/** Every IPC command: its argument (passed as `{ args }`) and result. */
export type Commands = {
  app_status: { args: null; result: AppStatus };
  open_channel: { args: OpenChannelArgs; result: ChannelDto };
  create_identity: { args: CreateIdentityArgs; result: CreateIdentityOutcome };
  create_vault: { args: CreateVaultArgs; result: AppStatus };
  unlock: { args: UnlockArgs; result: AppStatus };
  lock: { args: null; result: AppStatus };
  list_envs: { args: null; result: Array<EnvDto> };
  add_env: { args: AddEnvArgs; result: EnvDto };
  rename_env: { args: RenameEnvArgs; result: EnvDto };
  removal_preview: { args: RemoveEnvArgs; result: RemovalPreviewDto };
  remove_env: { args: RemoveEnvArgs; result: RemovedDto };
  list_items: { args: ListItemsArgs; result: Array<ItemDto> };
  reveal_item: { args: ItemRef; result: RevealedValue };
  copy_item: { args: CopyItemArgs; result: CopyOutcome };
  set_item: { args: SetItemArgs; result: SetOutcomeDto };
  delete_item: { args: ItemRef; result: void };
  item_history: { args: ItemRef; result: Array<HistoryDto> };
  generate_value: { args: GenerateArgs; result: GeneratedValue };
  rotation_list: { args: RotationListArgs; result: RotationReport };
  vault_snapshot: { args: RotationListArgs; result: VaultSnapshot };
  rotate_item: { args: RotateItemArgs; result: SetOutcomeDto };
  list_members: { args: null; result: Array<MemberDto> };
  inspect_identity: { args: InspectIdentityArgs; result: IdentityPreviewDto };
  add_member: { args: AddMemberArgs; result: MemberDto };
  set_member_role: { args: SetRoleArgs; result: MemberDto };
  set_access: { args: SetAccessArgs; result: MemberDto };
  item_sharing: { args: ItemRef; result: ItemSharingDto };
  share_item: { args: ShareArgs; result: ItemSharingDto };
  unshare_item: { args: ShareArgs; result: ItemSharingDto };
  offboard_preview: { args: MemberRef; result: OffboardPreviewDto };
  offboard_member: { args: OffboardArgs; result: ExposureReportDto };
  offboard_progress: { args: null; result: OffboardProgressDto };
  exposure_report: { args: MemberRef; result: ExposureReportDto };
  save_exposure_report: { args: SaveReportArgs; result: SavedReportDto };
  unlock_at_start: { args: null; result: AppStatus };
  touch_session: { args: null; result: void };
  get_settings: { args: null; result: SettingsDto };
  set_settings: { args: SettingsDto; result: SettingsDto };
  change_password: { args: ChangePasswordArgs; result: void };
  rate_passphrase: { args: RatePassphraseArgs; result: PassphraseStrengthDto };
  keychain_enable: { args: null; result: KeychainStatusDto };
  keychain_disable: { args: null; result: KeychainStatusDto };
  keychain_status: { args: null; result: KeychainStatusDto };
  kdf_params: { args: null; result: KdfDto };
  audit_log: { args: AuditQueryArgs; result: AuditPageDto };
  verify_vault: { args: null; result: VerifyDto };
  export_env: { args: ExportArgs; result: ExportOutcome };
  restore_version: { args: RestoreArgs; result: SetOutcomeDto };
  open_vault: { args: OpenVaultArgs; result: AppStatus };
  sync_state: { args: null; result: SyncStateDto };
  sync_now: { args: null; result: SyncOutcomeDto };
  sync_setup: { args: RemoteArgs; result: SyncOutcomeDto };
  join_preview: { args: RemoteArgs; result: JoinPreviewDto };
  join_vault: { args: JoinArgs; result: AppStatus };
  item_conflicts: { args: ConflictArgs; result: ConflictsDto };
  resolve_conflict: { args: ResolveArgs; result: SetOutcomeDto };
  public_identity: { args: null; result: PublicIdentityDto };
  rebuild_vault: { args: UnlockArgs; result: RebuildOutcomeDto };
  pick_path: { args: PickPathArgs; result: PickedPathDto };
  copy_public_identity: { args: null; result: void };
  scan_folder: { args: ScanFolderArgs; result: ScanReportDto };
  scan_progress: { args: null; result: ScanProgressDto };
  scan_cancel: { args: null; result: void };
  scan_mark_exposed: { args: ScanMarkArgs; result: ScanMarkedDto };
  hygiene_report: { args: HygieneArgs; result: Array<HygieneFindingDto> };
  check_example: { args: CheckExampleArgs; result: ExampleCheckDto };
  list_overrides: { args: ListOverridesArgs; result: Array<OverrideDto> };
  set_override: { args: SetOverrideArgs; result: SetOverrideOutcome };
  remove_override: { args: ItemRef; result: void };
  env_policy: { args: EnvArgs; result: EnvPolicyDto };
  set_env_policy: { args: SetEnvPolicyArgs; result: EnvPolicyDto };
};

/** The command names. */
export const COMMANDS = [
  "app_status",
  "open_channel",
  "create_identity",
  "create_vault",
  "unlock",
  "lock",
  "list_envs",
  "add_env",
  "rename_env",
  "removal_preview",
  "remove_env",
  "list_items",
  "reveal_item",
  "copy_item",
  "set_item",
  "delete_item",
  "item_history",
  "generate_value",
  "rotation_list",
  "vault_snapshot",
  "rotate_item",
  "list_members",
  "inspect_identity",
  "add_member",
  "set_member_role",
  "set_access",
  "item_sharing",
  "share_item",
  "unshare_item",
  "offboard_preview",
  "offboard_member",
  "offboard_progress",
  "exposure_report",
  "save_exposure_report",
  "unlock_at_start",
  "touch_session",
  "get_settings",
  "set_settings",
  "change_password",
  "rate_passphrase",
  "keychain_enable",
  "keychain_disable",
  "keychain_status",
  "kdf_params",
  "audit_log",
  "verify_vault",
  "export_env",
  "restore_version",
  "open_vault",
  "sync_state",
  "sync_now",
  "sync_setup",
  "join_preview",
  "join_vault",
  "item_conflicts",
  "resolve_conflict",
  "public_identity",
  "rebuild_vault",
  "pick_path",
  "copy_public_identity",
  "scan_folder",
  "scan_progress",
  "scan_cancel",
  "scan_mark_exposed",
  "hygiene_report",
  "check_example",
  "list_overrides",
  "set_override",
  "remove_override",
  "env_policy",
  "set_env_policy",
] as const;

/** Names that decide what code runs (`coffer_vault::dangerous`): a
 * family matches by prefix; both ignore ASCII case. */
export const DANGEROUS_VARS: ReadonlyArray<{ name: string; family: boolean; reason: string }> = [
  { name: "LD_", family: true, reason: "the dynamic loader loads libraries from it into every program (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT)" },
  { name: "DYLD_", family: true, reason: "the macOS dynamic loader loads libraries from it (DYLD_INSERT_LIBRARIES)" },
  { name: "PATH", family: false, reason: "decides which program a command name runs" },
  { name: "BASH_ENV", family: false, reason: "bash runs the file it names before every script" },
  { name: "ENV", family: false, reason: "sh and other POSIX shells run the file it names" },
  { name: "PROMPT_COMMAND", family: false, reason: "bash runs it as a command before each prompt" },
  { name: "IFS", family: false, reason: "changes how shells split words, and so what scripts run" },
  { name: "NODE_OPTIONS", family: false, reason: "node takes command-line options from it (--require, --import load code)" },
  { name: "PYTHON", family: true, reason: "Python loads code from them (PYTHONSTARTUP, PYTHONPATH, PYTHONHOME)" },
  { name: "PERL5", family: true, reason: "Perl takes options and module paths from them (PERL5OPT, PERL5LIB)" },
  { name: "RUBYOPT", family: false, reason: "Ruby takes options from it (-r loads a library)" },
  { name: "JAVA_TOOL_OPTIONS", family: false, reason: "every JVM takes options from it (-javaagent loads code)" },
  { name: "_JAVA_OPTIONS", family: false, reason: "the JVM takes options from it (-javaagent loads code)" },
  { name: "GIT_", family: true, reason: "git runs programs and reads configuration from them (GIT_SSH_COMMAND, GIT_CONFIG_*)" },
  { name: "SSH_", family: true, reason: "ssh runs SSH_ASKPASS and trusts SSH_AUTH_SOCK's agent" },
  { name: "PAGER", family: false, reason: "programs run it as a command to page output" },
  { name: "EDITOR", family: false, reason: "programs run it as a command to edit text" },
];
