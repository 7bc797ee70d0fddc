//! The Coffer desktop app. Only builds and runs the app; everything else is
//! in the library (`coffer_desktop`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    coffer_desktop::run();
}
