//! `cargo fuzz run template`: see `coffer_fuzz_targets::template` for what is fed
//! and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_fuzz_targets::template(data);
});
