//! Requests to the REST API through the real router: see `checks/api_bodies.rs`.
#![no_main]

#[path = "../checks/api_bodies.rs"]
mod api_bodies;

use std::cell::RefCell;

thread_local! {
    static API: RefCell<api_bodies::Api> = RefCell::new(api_bodies::Api::new());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    API.with(|api| api.borrow_mut().check(data));
});
