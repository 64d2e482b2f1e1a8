//! The page's side of the engine: store an input's bytes, ask a question, get the answer.
//!
//! In the built site the [`Session`] runs in a module Web Worker (`worker.js` instantiates this same wasm and calls
//! [`crate::worker::start`]), so a long analysis never blocks the page. Every message is an envelope of
//! [`crate::protocol`] ([`crate::protocol::ToEngine`] out, [`crate::protocol::FromEngine`] back) as JSON text, a request and its progress and reply
//! correlated by the request's number. Input bytes travel beside their envelope as a transferred `Uint8Array`, so a
//! large file goes from the browser's file reader to the worker without a copy in the page's wasm memory. The page
//! keeps a `Blob` of every input it gave (the dropped `File` itself, or one made of a paste's text: browser memory,
//! not this wasm's), so that when the worker fails — a trap, an exhausted memory — the waiting requests are answered
//! with the error, a new worker is started and given every input again, and the page goes on working. The worker's
//! listeners go with it. Where no worker can start (no `trunk-app` block naming the files, as in `wasm-bindgen-test`
//! pages, or natively), the session runs in the page's own thread behind the same functions.

use std::cell::{Cell, RefCell};

use futures::channel::mpsc;
use futures::StreamExt;
use rustc_hash::FxHashMap;

use crate::engine::Session;
use crate::protocol::{InputId, Progress, Request, Response};

/// What the worker sends back for one request.
#[derive(Debug)]
enum Reply {
    Progress(Progress),
    Done(Response),
}

/// Where the engine runs.
#[derive(Debug)]
enum Backend {
    /// In a Web Worker (replaced by a new one when it fails).
    #[cfg(target_arch = "wasm32")]
    Worker(RefCell<web::Engine>),
    /// In this thread.
    Local(Box<RefCell<Session>>),
}

thread_local! {
    static BACKEND: Backend = Backend::start();
    static PENDING: RefCell<FxHashMap<u32, mpsc::UnboundedSender<Reply>>> = RefCell::new(FxHashMap::default());
    static NEXT_REQUEST: Cell<u32> = const { Cell::new(1) };
    /// Why the worker stopped for good (it failed to start, or failed [`MAX_RESTARTS`] times): later requests are
    /// answered with it at once instead of waiting forever.
    static FAILED: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Who hears that the engine failed (the page's notice), whether or not a request was waiting for it.
    static NOTICE: RefCell<Option<Listener>> = RefCell::new(None);
}

/// What hears of the engine's failures.
type Listener = Box<dyn Fn(String)>;

/// Calls `f` with a sentence each time the engine fails: restarted with every input, or given up.
pub fn on_failure(f: impl Fn(String) + 'static) {
    NOTICE.with(|n| *n.borrow_mut() = Some(Box::new(f)));
}

/// Tells the page's notice (when one listens) that the engine failed.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn notify(message: &str) {
    NOTICE.with(|n| {
        if let Some(f) = n.borrow().as_ref() {
            f(message.to_string());
        }
    });
}

/// How many times a failed worker is replaced before the engine is given up for this page's life.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_RESTARTS: u32 = 5;

/// The largest answer the page reads from the engine, in bytes of JSON. Every answer is a window sized for the
/// screen, far below this; a larger one is refused rather than parsed (its parse could exhaust the page's memory).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_ANSWER_BYTES: u32 = 64 * 1024 * 1024;

impl Backend {
    fn start() -> Self {
        #[cfg(target_arch = "wasm32")]
        if let Some(worker) = web::start_worker() {
            return Backend::Worker(RefCell::new(worker));
        }
        Backend::Local(Box::new(RefCell::new(Session::new())))
    }
}

/// Whether the engine runs in a Web Worker (false: in the page's thread).
pub fn in_worker() -> bool {
    BACKEND.with(|b| !matches!(b, Backend::Local(_)))
}

/// Stores an input's bytes in the engine; `blob` holds the same bytes (the file they were read from), kept to give
/// them again to a new worker. In the worker's case the array's buffer is transferred (it is detached here
/// afterwards) when the array covers all of it, and copied otherwise.
#[cfg(target_arch = "wasm32")]
pub fn put(id: InputId, bytes: js_sys::Uint8Array, blob: &web_sys::Blob) {
    BACKEND.with(|b| match b {
        Backend::Worker(worker) => {
            web::keep(id, blob.clone());
            web::post_put(&worker.borrow(), id, &bytes);
        }
        Backend::Local(session) => session.borrow_mut().put(id, bytes.to_vec()),
    });
}

/// Stores a paste's text in the engine.
pub fn put_text(id: InputId, text: &str) {
    BACKEND.with(|b| match b {
        #[cfg(target_arch = "wasm32")]
        Backend::Worker(worker) => {
            web::keep(id, crate::files::text_blob(text));
            web::post_put(
                &worker.borrow(),
                id,
                &js_sys::Uint8Array::from(text.as_bytes()),
            )
        }
        Backend::Local(session) => session.borrow_mut().put(id, text.as_bytes().to_vec()),
    });
}

/// Drops an input's bytes from the engine.
pub fn forget(id: InputId) {
    BACKEND.with(|b| match b {
        #[cfg(target_arch = "wasm32")]
        Backend::Worker(worker) => {
            web::unkeep(id);
            web::post_forget(&worker.borrow(), id)
        }
        Backend::Local(session) => session.borrow_mut().forget(id),
    });
}

/// Asks the engine; `progress` hears about long work.
pub async fn call(request: Request, mut progress: impl FnMut(Progress)) -> Response {
    let mut replies = match BACKEND.with(|b| send(b, request)) {
        Sent::Answered(response) => return *response,
        Sent::Waiting(replies) => replies,
    };
    while let Some(reply) = replies.next().await {
        match reply {
            Reply::Progress(p) => progress(p),
            Reply::Done(response) => return response,
        }
    }
    Response::Error("the engine stopped".into())
}

enum Sent {
    Answered(Box<Response>),
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Waiting(mpsc::UnboundedReceiver<Reply>),
}

fn send(backend: &Backend, request: Request) -> Sent {
    match backend {
        #[cfg(target_arch = "wasm32")]
        Backend::Worker(worker) => {
            if let Some(message) = FAILED.with(|f| f.borrow().clone()) {
                return Sent::Answered(Box::new(Response::Error(message)));
            }
            let id = next_request();
            if matches!(request, Request::Analyze { .. }) {
                web::remember_analyze(&request);
            }
            let (tx, rx) = mpsc::unbounded();
            PENDING.with(|p| p.borrow_mut().insert(id, tx));
            web::post_call(&worker.borrow(), id, request);
            Sent::Waiting(rx)
        }
        Backend::Local(session) => {
            // Progress is collected and replayed: the callback may touch signals whose effects call the engine again.
            let mut seen = Vec::new();
            let response = match session.try_borrow_mut() {
                Ok(mut s) => s.handle(request, &mut |p| seen.push(p)),
                Err(_) => Response::Error("the engine is busy".into()),
            };
            if seen.is_empty() {
                return Sent::Answered(Box::new(response));
            }
            let (tx, rx) = mpsc::unbounded();
            for p in seen {
                let _ = tx.unbounded_send(Reply::Progress(p));
            }
            let _ = tx.unbounded_send(Reply::Done(response));
            Sent::Waiting(rx)
        }
    }
}

/// A new request's number.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn next_request() -> u32 {
    NEXT_REQUEST.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    })
}

/// Hands a worker message to the request waiting for it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn deliver(id: u32, reply: Reply) {
    PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        let done = matches!(reply, Reply::Done(_));
        if let Some(tx) = pending.get(&id) {
            let _ = tx.unbounded_send(reply);
        }
        if done {
            pending.remove(&id);
        }
    });
}

/// Answers every waiting request with `message` (the worker failed); with `for_good`, later requests too.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn fail_all(message: &str, for_good: bool) {
    notify(message);
    if for_good {
        FAILED.with(|f| *f.borrow_mut() = Some(message.to_string()));
    }
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for (_, tx) in pending {
        let _ = tx.unbounded_send(Reply::Done(Response::Error(message.to_string())));
    }
}

#[cfg(target_arch = "wasm32")]
mod web {
    //! Starting the worker and the envelopes to and from it.

    use std::cell::{Cell, RefCell};

    use gloo_events::{EventListener, EventListenerOptions};
    use js_sys::Uint8Array;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{deliver, fail_all, Backend, Reply, BACKEND, MAX_ANSWER_BYTES, MAX_RESTARTS};
    use crate::protocol::{request_id, wire, FromEngine, InputId, Request, Response, ToEngine};

    /// The worker and its listeners, which go with it.
    #[derive(Debug)]
    pub(super) struct Engine {
        worker: web_sys::Worker,
        _listeners: [EventListener; 2],
    }

    thread_local! {
        /// Every input given to the worker, in order, as a `Blob` of its bytes: what a new worker is given again.
        static KEPT: RefCell<Vec<(InputId, web_sys::Blob)>> = const { RefCell::new(Vec::new()) };
        /// How many times the worker was replaced.
        static RESTARTS: Cell<u32> = const { Cell::new(0) };
        /// While a new worker is being given the inputs again, the requests made meanwhile wait here.
        static HELD: RefCell<Option<Vec<(u32, Request)>>> = const { RefCell::new(None) };
        /// The last analysis asked for: a new worker is given it after the inputs, so the views' questions find
        /// the analysis the page shows.
        static LAST_ANALYZE: RefCell<Option<Request>> = const { RefCell::new(None) };
    }

    /// Remembers `blob` as input `id`'s bytes (replacing an earlier one).
    pub(super) fn keep(id: InputId, blob: web_sys::Blob) {
        KEPT.with(|k| {
            let mut kept = k.borrow_mut();
            kept.retain(|(i, _)| *i != id);
            kept.push((id, blob));
        });
    }

    /// Remembers the last analysis asked for, to ask a new worker again.
    pub(super) fn remember_analyze(request: &Request) {
        LAST_ANALYZE.with(|l| *l.borrow_mut() = Some(request.clone()));
    }

    /// Forgets input `id`'s bytes.
    pub(super) fn unkeep(id: InputId) {
        KEPT.with(|k| k.borrow_mut().retain(|(i, _)| *i != id));
    }

    fn is_kept(id: InputId) -> bool {
        KEPT.with(|k| k.borrow().iter().any(|(i, _)| *i == id))
    }

    /// The worker failed (a trap, or memory exhausted): answers the waiting requests with `reason`, replaces the
    /// worker with a new one and gives it every input again; requests made meanwhile wait until it has them.
    fn restart(reason: &str) {
        web_sys::console::error_1(&JsValue::from_str(reason));
        let restarts = RESTARTS.with(|r| {
            r.set(r.get() + 1);
            r.get()
        });
        if restarts > MAX_RESTARTS {
            fail_all(
                &format!("{reason}; the engine was restarted {MAX_RESTARTS} times and failed again: reload the page"),
                true,
            );
            return;
        }
        fail_all(
            &format!("{reason}; the engine was restarted with every input"),
            false,
        );
        let Some(engine) = start_worker() else {
            fail_all(
                &format!("{reason}; the engine could not be restarted"),
                true,
            );
            return;
        };
        BACKEND.with(|b| {
            if let Backend::Worker(current) = b {
                current.borrow().worker.terminate();
                // The old worker's listeners are removed as it is dropped.
                let old = current.replace(engine);
                drop(old);
            }
        });
        HELD.with(|h| {
            h.borrow_mut().get_or_insert_with(Vec::new);
        });
        wasm_bindgen_futures::spawn_local(give_again());
    }

    /// Gives a new worker every kept input, then the last analysis, then the requests held meanwhile.
    async fn give_again() {
        let inputs = KEPT.with(|k| k.borrow().clone());
        for (id, blob) in inputs {
            let bytes = crate::files::read_capped(&blob).await;
            // Removed while this was reading.
            if !is_kept(id) {
                continue;
            }
            with_worker(|engine| post_put(engine, id, &bytes));
        }
        let held = HELD.with(|h| h.borrow_mut().take()).unwrap_or_default();
        // The analysis again, as a request nobody waits for (its answer is the summary the page already has),
        // then the requests made meanwhile, which need it.
        let analyze = LAST_ANALYZE.with(|l| l.borrow().clone());
        with_worker(|engine| {
            if let Some(request) = analyze {
                post_call(engine, super::next_request(), request);
            }
            for (id, request) in held {
                post_call(engine, id, request);
            }
        });
    }

    fn with_worker(f: impl FnOnce(&Engine)) {
        BACKEND.with(|b| {
            if let Backend::Worker(current) = b {
                f(&current.borrow());
            }
        });
    }

    /// The files the page was built with, as absolute URLs: (glue JS, wasm, worker script). Trunk writes their
    /// paths (with the public URL) into the `trunk-app` JSON block of index.html.
    fn build_files() -> Option<(String, String, String)> {
        let document = web_sys::window()?.document()?;
        let block = document.get_element_by_id("trunk-app")?;
        let paths: serde_json::Value = serde_json::from_str(&block.text_content()?).ok()?;
        let base = document.base_uri().ok()??;
        let absolute = |key: &str| -> Option<String> {
            let path = paths.get(key)?.as_str()?;
            Some(web_sys::Url::new_with_base(path, &base).ok()?.href())
        };
        Some((absolute("js")?, absolute("wasm")?, absolute("worker")?))
    }

    pub(super) fn start_worker() -> Option<Engine> {
        let (js, wasm, script) = build_files()?;
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(&script, &options).ok()?;
        let on_message = EventListener::new(&worker, "message", |event| {
            if let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() {
                on_message(&event.data());
            }
        });
        let on_error = EventListener::new_with_options(
            &worker,
            "error",
            EventListenerOptions::enable_prevent_default(),
            |event| {
                event.prevent_default();
                let message = event
                    .dyn_ref::<web_sys::ErrorEvent>()
                    .map(web_sys::ErrorEvent::message)
                    .unwrap_or_default();
                restart(&format!("the analysis engine failed: {message}"));
            },
        );
        let (init, _) = wire::pack(&ToEngine::Init { js, wasm }, None).ok()?;
        worker.post_message(&init).ok()?;
        Some(Engine {
            worker,
            _listeners: [on_message, on_error],
        })
    }

    fn on_message(data: &JsValue) {
        let Some(json) = wire::json(data) else {
            return;
        };
        // Measured before it is copied into this wasm's memory.
        let length = json.length();
        if length > MAX_ANSWER_BYTES {
            // Too large to read whole: its request is the only part read.
            let id = json
                .slice(0, 256)
                .as_string()
                .and_then(|head| request_id(&head));
            if let Some(id) = id {
                deliver(
                    id,
                    Reply::Done(Response::Error(format!(
                        "the engine's answer ({length} characters) is too large to show"
                    ))),
                );
            }
            return;
        }
        let json = json.as_string().unwrap_or_default();
        match serde_json::from_str::<FromEngine>(&json) {
            Ok(FromEngine::Progress { id, progress }) => deliver(id, Reply::Progress(progress)),
            Ok(FromEngine::Reply { id, response }) => deliver(id, Reply::Done(response)),
            Ok(FromEngine::Fatal { message }) => {
                let message = format!("the analysis engine did not start: {message}");
                web_sys::console::error_1(&JsValue::from_str(&message));
                fail_all(&message, true);
            }
            Err(e) => {
                if let Some(id) = request_id(&json) {
                    let message = format!("unreadable answer from the engine: {e}");
                    deliver(id, Reply::Done(Response::Error(message)));
                }
            }
        }
    }

    pub(super) fn post_put(engine: &Engine, id: InputId, bytes: &Uint8Array) {
        let result = wire::pack(&ToEngine::Put { id }, Some(bytes))
            .map_err(|e| JsValue::from_str(&e.to_string()))
            .and_then(|(message, transfer)| {
                engine
                    .worker
                    .post_message_with_transfer(&message, &transfer)
            });
        if let Err(e) = result {
            web_sys::console::error_2(&JsValue::from_str("cannot send an input to the engine"), &e);
        }
    }

    pub(super) fn post_forget(engine: &Engine, id: InputId) {
        if let Ok((message, _)) = wire::pack(&ToEngine::Forget { id }, None) {
            let _ = engine.worker.post_message(&message);
        }
    }

    pub(super) fn post_call(engine: &Engine, id: u32, request: Request) {
        // A new worker is still being given the inputs: the request waits for them.
        let request = HELD.with(|h| match h.borrow_mut().as_mut() {
            Some(held) => {
                held.push((id, request));
                None
            }
            None => Some(request),
        });
        let Some(request) = request else {
            return;
        };
        let sent = match wire::pack(&ToEngine::Call { id, request }, None) {
            Ok((message, _)) => engine
                .worker
                .post_message(&message)
                .map_err(|_| "cannot reach the engine".to_string()),
            Err(e) => Err(format!("cannot send the request: {e}")),
        };
        if let Err(message) = sent {
            deliver(id, Reply::Done(Response::Error(message)));
        }
    }
}
