//! The page's side of the engine: store an input's bytes, ask a question, get the answer.
//!
//! This implementation runs the [`Session`] in the page's own thread.

use std::cell::RefCell;

use crate::engine::Session;
use crate::protocol::{InputId, Progress, Request, Response};

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::new());
}

/// Stores an input's bytes in the engine.
pub fn put(id: InputId, bytes: Vec<u8>) {
    SESSION.with(|s| s.borrow_mut().put(id, bytes));
}

/// Drops an input's bytes from the engine.
pub fn forget(id: InputId) {
    SESSION.with(|s| s.borrow_mut().forget(id));
}

/// Asks the engine; `progress` hears about long work.
pub async fn call(request: Request, mut progress: impl FnMut(Progress)) -> Response {
    SESSION.with(|s| s.borrow_mut().handle(request, &mut progress))
}
