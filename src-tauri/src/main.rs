//! The Coffer desktop app. Only builds and runs the app; everything else is
//! in the library (`coffer_desktop`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Every heap block the app's Rust code frees is wiped first (the approach
/// Bitwarden's clients take): copies of a passphrase or value that pass
/// through code we do not own (Tauri's IPC request bodies, serde's buffers)
/// do not outlive their use. Memory that WebKit and GLib allocate is not
/// covered (docs/security.md). Measured by `ui/e2e/memory.test.mjs`.
#[global_allocator]
static ALLOC: zalloc::ZeroizingAlloc<std::alloc::System> =
    zalloc::ZeroizingAlloc(std::alloc::System);

fn main() {
    coffer_desktop::run();
}
