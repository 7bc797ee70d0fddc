//! `cargo fuzz run slot`: see `coffer_fuzz_targets::slot` for what is fed
//! and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_fuzz_targets::slot(data);
});
