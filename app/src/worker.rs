//! The engine's side of the Web Worker: `worker.js` instantiates this wasm in a module worker and calls
//! [`start`] (exported as `worker_start`), which answers the page's messages with a [`Session`].
//!
//! Messages (plain objects): page → worker `{t: "put", id, bytes: Uint8Array}`, `{t: "forget", id}`,
//! `{t: "call", id, json}` (a [`crate::protocol::Request`]); worker → page `{t: "progress", id, json}` (a
//! [`crate::protocol::Progress`], sent from inside the analysis, so the page hears it while the worker works) and
//! `{t: "reply", id, json}` (a [`crate::protocol::Response`]).

use std::cell::RefCell;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::engine::Session;
use crate::protocol::{Request, Response};

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::new());
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn post(scope: &web_sys::DedicatedWorkerGlobalScope, t: &str, id: u32, json: &str) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"t".into(), &t.into());
    let _ = Reflect::set(&message, &"id".into(), &id.into());
    let _ = Reflect::set(&message, &"json".into(), &json.into());
    let _ = scope.post_message(&message);
}

/// Installs the worker's message handler. Called once by `worker.js`, after the wasm is instantiated.
pub fn start() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let handler =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            handle(&event.data());
        });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    handler.forget();
}

fn handle(data: &JsValue) {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let id = get(data, "id").as_f64().unwrap_or(0.0) as u32;
    match get(data, "t").as_string().as_deref() {
        Some("put") => {
            let bytes = get(data, "bytes")
                .dyn_into::<Uint8Array>()
                .map(|b| b.to_vec())
                .unwrap_or_default();
            SESSION.with(|s| s.borrow_mut().put(id, bytes));
        }
        Some("forget") => SESSION.with(|s| s.borrow_mut().forget(id)),
        Some("call") => {
            let json = get(data, "json").as_string().unwrap_or_default();
            let response = match serde_json::from_str::<Request>(&json) {
                Ok(request) => SESSION.with(|s| {
                    s.borrow_mut().handle(request, &mut |p| {
                        if let Ok(json) = serde_json::to_string(&p) {
                            post(&scope, "progress", id, &json);
                        }
                    })
                }),
                Err(e) => Response::Error(format!("unreadable request: {e}")),
            };
            let json = serde_json::to_string(&response).unwrap_or_else(|e| {
                serde_json::to_string(&Response::Error(format!("cannot send the answer: {e}")))
                    .unwrap_or_default()
            });
            post(&scope, "reply", id, &json);
        }
        _ => {}
    }
}
