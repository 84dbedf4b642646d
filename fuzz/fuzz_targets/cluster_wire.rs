//! The other cluster-port bodies and the answers nodes decode: see `checks/node_wire.rs`.
#![no_main]

#[path = "../checks/node_wire.rs"]
#[allow(dead_code)]
mod node_wire;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    node_wire::cluster(data);
});
