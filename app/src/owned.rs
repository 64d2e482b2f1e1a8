//! What a component holds in the browser beyond its DOM — window listeners and timers — and lets go of when it goes.
//!
//! Each is a `gloo` handle ([`EventListener`], [`Timeout`]) kept in a table of this thread, under a key the component's
//! `on_cleanup` removes: dropping the handle removes the listener or cancels the timer. [`held`] counts what is held
//! now, so a test can check that nothing outlives the page's components.

use std::any::Any;
use std::cell::{Cell, RefCell};

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use leptos::prelude::on_cleanup;
use rustc_hash::FxHashMap;
use wasm_bindgen::JsCast;

thread_local! {
    /// Each listener or timer, kept for its drop.
    static HELD: RefCell<FxHashMap<u64, Box<dyn Any>>> = RefCell::new(FxHashMap::default());
    static NEXT: Cell<u64> = const { Cell::new(1) };
}

fn next_key() -> u64 {
    NEXT.with(|n| {
        let key = n.get();
        n.set(key + 1);
        key
    })
}

/// Drops what `key` holds (removing the listener, cancelling the timer) outside the table's borrow.
fn release(key: u64) {
    let handle = HELD.with(|h| h.borrow_mut().remove(&key));
    drop(handle);
}

/// Listeners and timers held now by the page's components.
pub fn held() -> usize {
    HELD.with(|h| h.borrow().len())
}

/// Calls `handler` with each `event` of type `E` on the window, until the current component is cleaned up. The
/// listener is not passive: `handler` may prevent the event's default.
pub fn on_window<E: JsCast + 'static>(event: &'static str, mut handler: impl FnMut(&E) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = EventListener::new_with_options(
        &window,
        event,
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            if let Some(e) = e.dyn_ref::<E>() {
                handler(e);
            }
        },
    );
    let key = next_key();
    HELD.with(|h| h.borrow_mut().insert(key, Box::new(listener)));
    on_cleanup(move || release(key));
}

/// One timer at a time for the current component: setting a new one cancels the one before, and the component's
/// cleanup cancels the last.
#[derive(Debug, Clone, Copy)]
pub struct TimerSlot(u64);

impl TimerSlot {
    /// A slot owned by the current component.
    pub fn new() -> Self {
        let key = next_key();
        on_cleanup(move || release(key));
        TimerSlot(key)
    }

    /// Calls `f` in `millis` milliseconds, unless the slot is set again, cleared or cleaned up first.
    pub fn set(self, millis: u32, f: impl FnOnce() + 'static) {
        let key = self.0;
        let timer = Timeout::new(millis, move || {
            release(key);
            f();
        });
        let before = HELD.with(|h| h.borrow_mut().insert(key, Box::new(timer)));
        drop(before);
    }

    /// Cancels the pending call, if any.
    pub fn clear(self) {
        release(self.0);
    }
}

impl Default for TimerSlot {
    fn default() -> Self {
        Self::new()
    }
}
