//! `cargo fuzz run feed_entry`: see `coffer_fuzz_targets::feed_entry` for what is fed
//! and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_fuzz_targets::feed_entry(data);
});
