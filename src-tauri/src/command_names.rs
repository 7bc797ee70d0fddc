// The app's IPC commands, one list shared by `build.rs` (which generates an
// `allow-<command>` permission for each) and the library (whose tests check
// it against the registered handlers and the capability file).
/// Every IPC command the UI may call.
pub const COMMANDS: &[&str] = &[
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
];
