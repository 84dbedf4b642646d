//! Any bytes at the start of a connection, read as a TLS ClientHello: see `checks/client_hello.rs` (shared with the stable harness).
#![no_main]

#[path = "../checks/client_hello.rs"]
mod client_hello;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    client_hello::check(data);
});
