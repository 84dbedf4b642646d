//! Any rule text: see `checks/rule_parser.rs` (shared with the stable harness).
#![no_main]

#[path = "../checks/rule_parser.rs"]
mod rule_parser;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rule_parser::check(data);
});
