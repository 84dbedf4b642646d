//! Raft RPCs handed to a live Raft on the node's store: see `checks/raft_node.rs`.
#![no_main]

#[path = "../checks/raft_node.rs"]
mod raft_node;

use std::cell::RefCell;

thread_local! {
    static NODE: RefCell<raft_node::RaftNode> = RefCell::new(raft_node::RaftNode::new());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    NODE.with(|node| node.borrow_mut().check(data));
});
