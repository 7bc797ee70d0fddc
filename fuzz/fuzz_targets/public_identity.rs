//! `cargo fuzz run public_identity`: see `coffer_fuzz_targets::public_identity` for what is fed
//! and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_fuzz_targets::public_identity(data);
});
