//! The engine's side of the Web Worker: `worker.js` instantiates this wasm in a module worker and calls [`start`]
//! (exported as `worker_start`), which answers the page's [`ToEngine`] envelopes with a [`Session`] and sends
//! [`FromEngine`] ones back (see [`crate::protocol::wire`]).

use std::cell::RefCell;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use crate::engine::Session;
use crate::protocol::{request_id, wire, FromEngine, Response, ToEngine};

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::new());
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &FromEngine) {
    if let Ok((object, _)) = wire::pack(message, None) {
        let _ = scope().post_message(&object);
    }
}

/// Installs the worker's message handler. Called once by `worker.js`, after the wasm is instantiated.
pub fn start() {
    let listener = EventListener::new(&scope(), "message", |event| {
        if let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() {
            handle(&event.data());
        }
    });
    // The handler lives as long as the worker.
    listener.forget();
}

fn handle(data: &wasm_bindgen::JsValue) {
    let Some(json) = wire::json(data).and_then(|j| j.as_string()) else {
        return;
    };
    let message = match serde_json::from_str::<ToEngine>(&json) {
        Ok(message) => message,
        Err(e) => {
            // Only a request can be answered: its number is all that is read of it.
            let Some(id) = request_id(&json) else {
                return;
            };
            let response = Response::Error(format!("unreadable request: {e}"));
            post(&FromEngine::Reply { id, response });
            return;
        }
    };
    match message {
        ToEngine::Init { .. } => {}
        ToEngine::Put { id } => {
            let bytes = wire::bytes(data).map(|b| b.to_vec()).unwrap_or_default();
            SESSION.with(|s| s.borrow_mut().put(id, bytes));
        }
        ToEngine::Forget { id } => SESSION.with(|s| s.borrow_mut().forget(id)),
        ToEngine::Call { id, request } => {
            let response = SESSION.with(|s| {
                s.borrow_mut().handle(request, &mut |progress| {
                    post(&FromEngine::Progress { id, progress })
                })
            });
            match wire::pack(&FromEngine::Reply { id, response }, None) {
                Ok((object, _)) => {
                    let _ = scope().post_message(&object);
                }
                Err(e) => {
                    let response = Response::Error(format!("cannot send the answer: {e}"));
                    post(&FromEngine::Reply { id, response });
                }
            }
        }
    }
}
