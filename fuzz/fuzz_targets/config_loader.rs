//! Any configuration text, in every format: see `checks/config_loader.rs` (shared with the stable harness).
#![no_main]

#[path = "../checks/config_loader.rs"]
mod config_loader;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    config_loader::check(data);
});
