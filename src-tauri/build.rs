//! Generates the app's permissions: one `allow-<command>` per command in
//! `src/command_names.rs`, so the capability file can list exactly the
//! commands the window may call.
include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
