//! The Coffer desktop app: a thin Tauri 2 shell over `coffer-vault`.
//!
//! Each IPC command deserialises one argument struct ([`dto`]), calls one
//! `coffer-vault` function ([`commands`]) and maps its error to the one
//! serialisable [`IpcError`] (`{ code, message }`). The unlocked vault lives
//! in the [`Session`]; keys never cross IPC, and a credential's plaintext
//! crosses only on an explicit reveal (or a generated value the user asked
//! to see). Copy runs in Rust ([`clipboard`]).
//!
//! The command list below is the single source of the handlers, of the
//! TypeScript command map in `ui/src/lib/bindings.ts` ([`bindings`]), and
//! (through `command_names.rs`) of the permissions the window is granted.
#![forbid(unsafe_code)]

pub mod bindings;
pub mod clipboard;
pub mod commands;
pub mod dto;
pub mod error;
pub mod lockwatch;
pub mod picker;
pub mod session;
pub mod vaultwatch;

include!("command_names.rs");

pub use error::{IpcError, IpcErrorCode, IpcResult};
pub use session::Session;

use tauri::Manager;

/// With `COFFER_TRACE_IPC=1`, each command's name, time in Rust (before
/// its result is serialised) and outcome go to stderr, for profiling the
/// app (docs/desktop.md). Never arguments or results: those can be secret.
fn trace_ipc(name: &str, started: std::time::Instant, ok: bool) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("COFFER_TRACE_IPC").is_some_and(|v| v == "1")) {
        let ms = started.elapsed().as_secs_f64() * 1e3;
        eprintln!(
            "coffer-desktop: ipc {name} {ms:.1} ms {}",
            if ok { "ok" } else { "failed" }
        );
    }
}

/// Declares every command once: a Tauri command that runs the plain
/// function in `commands` on a blocking thread (Argon2id and SQLite never
/// stall the UI thread), the handler list, and the TypeScript signatures.
macro_rules! ipc_commands {
    ($( $name:ident ( $($arg:ty)? ) -> $ret:ty; )*) => {
        /// The Tauri command wrappers (generated).
        mod ipc {
            #[allow(unused_imports)]
            use crate::dto::*;
            use crate::error::{IpcError, IpcResult};
            use crate::session::Session;
            use tauri::Manager;
            $(
                #[tauri::command]
                pub async fn $name(app: tauri::AppHandle $(, args: $arg)?) -> IpcResult<$ret> {
                    tauri::async_runtime::spawn_blocking(move || {
                        let session = app.state::<std::sync::Arc<Session>>();
                        // The idle deadline is enforced here, before any
                        // command runs; every command but `app_status` is
                        // the user's activity.
                        session.check_idle();
                        if stringify!($name) != "app_status" {
                            session.touch();
                        }
                        let started = std::time::Instant::now();
                        let out = ipc_commands!(@call $name, session $(, args, $arg)?);
                        crate::trace_ipc(stringify!($name), started, out.is_ok());
                        out
                    })
                    .await
                    .map_err(|e| IpcError::internal(format!("the command failed: {e}")))?
                }
            )*
        }

        /// The registered command names, in declaration order.
        pub const REGISTERED: &[&str] = &[$(stringify!($name)),*];

        fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(ipc::$name),*]
        }

        /// `(name, args type, result type)` of every command, in TypeScript.
        pub fn command_signatures(cfg: &ts_rs::Config) -> Vec<(&'static str, Option<String>, String)> {
            #[allow(unused_imports)]
            use crate::dto::*;
            use ts_rs::TS;
            vec![$(
                (
                    stringify!($name),
                    ipc_commands!(@argname cfg $(, $arg)?),
                    <$ret as TS>::name(cfg),
                )
            ),*]
        }
    };
    (@call $name:ident, $s:ident) => { crate::commands::$name(&$s) };
    (@call $name:ident, $s:ident, $a:ident, $t:ty) => { crate::commands::$name(&$s, $a) };
    (@argname $cfg:ident) => { None };
    (@argname $cfg:ident, $t:ty) => { Some(<$t as TS>::name($cfg)) };
}

ipc_commands! {
    app_status() -> AppStatus;
    open_channel(OpenChannelArgs) -> ChannelDto;
    create_identity(CreateIdentityArgs) -> CreateIdentityOutcome;
    create_vault(CreateVaultArgs) -> AppStatus;
    unlock(UnlockArgs) -> AppStatus;
    lock() -> AppStatus;
    list_envs() -> Vec<EnvDto>;
    add_env(AddEnvArgs) -> EnvDto;
    rename_env(RenameEnvArgs) -> EnvDto;
    removal_preview(RemoveEnvArgs) -> RemovalPreviewDto;
    remove_env(RemoveEnvArgs) -> RemovedDto;
    list_items(ListItemsArgs) -> Vec<ItemDto>;
    reveal_item(ItemRef) -> RevealedValue;
    copy_item(CopyItemArgs) -> CopyOutcome;
    set_item(SetItemArgs) -> SetOutcomeDto;
    delete_item(ItemRef) -> ();
    item_history(ItemRef) -> Vec<HistoryDto>;
    generate_value(GenerateArgs) -> GeneratedValue;
    rotation_list(RotationListArgs) -> RotationReport;
    vault_snapshot(RotationListArgs) -> VaultSnapshot;
    rotate_item(RotateItemArgs) -> SetOutcomeDto;
    // Team: members, access, shares, offboarding.
    list_members() -> Vec<MemberDto>;
    inspect_identity(InspectIdentityArgs) -> IdentityPreviewDto;
    add_member(AddMemberArgs) -> MemberDto;
    set_member_role(SetRoleArgs) -> MemberDto;
    set_access(SetAccessArgs) -> MemberDto;
    item_sharing(ItemRef) -> ItemSharingDto;
    share_item(ShareArgs) -> ItemSharingDto;
    unshare_item(ShareArgs) -> ItemSharingDto;
    offboard_preview(MemberRef) -> OffboardPreviewDto;
    offboard_member(OffboardArgs) -> ExposureReportDto;
    offboard_progress() -> OffboardProgressDto;
    exposure_report(MemberRef) -> ExposureReportDto;
    save_exposure_report(SaveReportArgs) -> SavedReportDto;
    unlock_at_start() -> AppStatus;
    touch_session() -> ();
    get_settings() -> SettingsDto;
    set_settings(SettingsDto) -> SettingsDto;
    change_password(ChangePasswordArgs) -> ();
    rate_passphrase(RatePassphraseArgs) -> PassphraseStrengthDto;
    keychain_enable() -> KeychainStatusDto;
    keychain_disable() -> KeychainStatusDto;
    keychain_status() -> KeychainStatusDto;
    kdf_params() -> KdfDto;
    audit_log(AuditQueryArgs) -> AuditPageDto;
    verify_vault() -> VerifyDto;
    export_env(ExportArgs) -> ExportOutcome;
    restore_version(RestoreArgs) -> SetOutcomeDto;
    open_vault(OpenVaultArgs) -> AppStatus;
    // Sync, joining a team vault, conflicts.
    sync_state() -> SyncStateDto;
    sync_now() -> SyncOutcomeDto;
    sync_setup(RemoteArgs) -> SyncOutcomeDto;
    join_preview(RemoteArgs) -> JoinPreviewDto;
    join_vault(JoinArgs) -> AppStatus;
    item_conflicts(ConflictArgs) -> ConflictsDto;
    resolve_conflict(ResolveArgs) -> SetOutcomeDto;
    public_identity() -> PublicIdentityDto;
    rebuild_vault(UnlockArgs) -> RebuildOutcomeDto;
    // Native dialogs and the public identity's copy.
    pick_path(PickPathArgs) -> PickedPathDto;
    copy_public_identity() -> ();
    // Scan a folder for vault values; the hygiene report (issue 12).
    scan_folder(ScanFolderArgs) -> ScanReportDto;
    scan_progress() -> ScanProgressDto;
    scan_cancel() -> ();
    scan_mark_exposed(ScanMarkArgs) -> ScanMarkedDto;
    hygiene_report(HygieneArgs) -> Vec<HygieneFindingDto>;
    // An environment against an example file (issue 11).
    check_example(CheckExampleArgs) -> ExampleCheckDto;
    // Personal overrides and the environment's policy (issue 11).
    list_overrides(ListOverridesArgs) -> Vec<OverrideDto>;
    set_override(SetOverrideArgs) -> SetOverrideOutcome;
    remove_override(ItemRef) -> ();
    env_policy(EnvArgs) -> EnvPolicyDto;
    set_env_policy(SetEnvPolicyArgs) -> EnvPolicyDto;
}

/// Builds and runs the app on the default identity home and vault, with
/// the idle timer and the screen-lock/suspend watcher running.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let session = std::sync::Arc::new(Session::from_env());
            let handle = app.handle().clone();
            session.set_notifier(Box::new(move |reason| {
                use tauri::Emitter;
                if let Err(e) = handle.emit(session::LOCKED_EVENT, dto::LockedEvent { reason }) {
                    eprintln!("coffer-desktop: could not tell the window it locked: {e}");
                }
            }));
            let asker = app.handle().clone();
            session.set_remote_confirmer(Box::new(move |host, url| {
                use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
                asker
                    .dialog()
                    .message(format!(
                        "Coffer is about to connect to {host} with git, to reach\n\n{url}\n\n\
                         Continue only if you entered this address yourself."
                    ))
                    .title("Connect to a git remote?")
                    .kind(MessageDialogKind::Warning)
                    .buttons(MessageDialogButtons::OkCancelCustom(
                        "Connect".into(),
                        "Cancel".into(),
                    ))
                    .blocking_show()
            }));
            // Native file dialogs, shown from Rust (crate::picker). Debug
            // builds answer them from a file instead when the end-to-end
            // test sets COFFER_TEST_PICKS (no GTK dialog to drive).
            let scripted = std::env::var_os("COFFER_TEST_PICKS")
                .filter(|_| cfg!(debug_assertions))
                .map(|f| picker::scripted(f.into()));
            let files = app.handle().clone();
            session.set_path_picker(scripted.unwrap_or_else(|| {
                Box::new(move |req| {
                    use tauri_plugin_dialog::DialogExt;
                    let mut d = files.dialog().file().set_title(req.title);
                    if let Some(dir) = &req.directory {
                        d = d.set_directory(dir);
                    }
                    if let Some(name) = &req.file_name {
                        d = d.set_file_name(name);
                    }
                    for (name, exts) in &req.filters {
                        d = d.add_filter(*name, exts);
                    }
                    if let Some(w) = files.get_webview_window("main") {
                        d = d.set_parent(&w);
                    }
                    let chosen = if req.save {
                        d.blocking_save_file()
                    } else if req.folder {
                        d.blocking_pick_folder()
                    } else {
                        d.blocking_pick_file()
                    };
                    chosen.and_then(|p| p.into_path().ok())
                })
            }));
            let changed = app.handle().clone();
            vaultwatch::spawn(
                std::sync::Arc::downgrade(&session),
                vaultwatch::POLL,
                Box::new(move || {
                    use tauri::Emitter;
                    if let Err(e) =
                        changed.emit(vaultwatch::CHANGED_EVENT, dto::VaultChangedEvent {})
                    {
                        eprintln!(
                            "coffer-desktop: could not tell the window the vault changed: {e}"
                        );
                    }
                }),
            );
            session::spawn_idle_timer(
                std::sync::Arc::downgrade(&session),
                std::time::Duration::from_secs(1),
            );
            // Off the start-up path: connecting to the buses must not delay
            // the window (the listeners run on their own threads anyway).
            let watched = std::sync::Arc::downgrade(&session);
            std::thread::spawn(move || lockwatch::start(watched));
            app.manage(session);
            Ok(())
        })
        // Rust-side dialogs only (the git-remote confirmation, the file
        // pickers of `pick_path`): the web view is granted no dialog
        // permission (capabilities/main.json).
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("coffer-desktop: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_is_registered_and_permitted() {
        assert_eq!(super::REGISTERED, super::COMMANDS);
    }
}
