//! `cargo fuzz run dotenv`: see `coffer_fuzz_targets::dotenv` for what is fed
//! and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_fuzz_targets::dotenv(data);
});
