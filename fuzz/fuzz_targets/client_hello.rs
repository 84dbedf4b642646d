//! Any bytes at the start of a connection: reading a TLS ClientHello (SNI, ALPN) without
//! terminating TLS must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traefikee_proxy::tls::client_hello::parse_hello;

fuzz_target!(|data: &[u8]| {
    let _ = parse_hello(data);
});
