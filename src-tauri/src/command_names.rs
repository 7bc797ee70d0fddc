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
    "unlock_at_start",
    "touch_session",
    "get_settings",
    "set_settings",
    "change_password",
    "keychain_enable",
    "keychain_disable",
    "keychain_status",
    "kdf_params",
];
