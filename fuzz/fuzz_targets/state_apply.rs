//! Raft entries applied by the state machine: see `checks/state_apply.rs`.
#![no_main]

#[path = "../checks/state_apply.rs"]
mod state_apply;

use std::cell::RefCell;

thread_local! {
    static MACHINE: RefCell<state_apply::StateMachine> = RefCell::new(state_apply::StateMachine::new());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    MACHINE.with(|m| m.borrow_mut().check(data));
});
