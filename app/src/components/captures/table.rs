//! The captures' transaction table: a paged window of the filtered transactions, driven by the keyboard.
//!
//! ↑/↓ move the selection and page at the window's ends; Enter opens the detail.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::chart::{fmt_us, fmt_x};
use super::PAGE;
use crate::protocol::captures::{Axis, Class, Rows};

/// Focuses the table row of transaction `index`, if it is on screen.
fn focus_row(index: usize) {
    let selector = format!("[data-testid=tx-row][data-index=\"{index}\"]");
    if let Ok(Some(el)) = document().query_selector(&selector) {
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

/// Which row to select once the next window arrives (after paging with the arrow keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    First,
    Last,
}

/// The table's window and the selected transaction, shared by the table, the timeline and the detail.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor {
    /// The window's first row.
    pub offset: RwSignal<usize>,
    /// Instead of the offset: the window that holds this transaction.
    pub around: RwSignal<Option<usize>>,
    /// The selected transaction.
    pub selected: RwSignal<Option<usize>>,
    pending: RwSignal<Option<Pending>>,
}

impl Cursor {
    pub(super) fn new() -> Self {
        Cursor {
            offset: RwSignal::new(0),
            around: RwSignal::new(None),
            selected: RwSignal::new(None),
            pending: RwSignal::new(None),
        }
    }

    /// Back to the first window.
    pub(super) fn to_first_page(self) {
        self.offset.set(0);
        self.around.set(None);
    }

    fn to_page(self, offset: usize) {
        self.around.set(None);
        self.offset.set(offset);
    }

    /// Selects a transaction (a mark on the timeline, a query of its lookup) and brings its row into the table.
    pub(super) fn pick(self, index: usize) {
        self.selected.set(Some(index));
        self.around.set(Some(index));
    }

    /// A new window arrived: after paging with the arrow keys, selects (and focuses) its first or last row.
    pub(super) fn arrived(self, rows: &Rows) {
        let Some(p) = self.pending.get_untracked() else {
            return;
        };
        let row = match p {
            Pending::First => rows.rows.first(),
            Pending::Last => rows.rows.last(),
        };
        if let Some(row) = row {
            self.pending.set(None);
            let i = row.index;
            self.selected.set(Some(i));
            request_animation_frame(move || focus_row(i));
        }
    }

    /// The table's keys: the arrows move the selection through the rows (paging at the window's ends), Enter and
    /// Space select the focused row, and Enter opens the detail.
    pub(super) fn key(self, rows: &Rows, ev: &web_sys::KeyboardEvent) {
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" => {
                ev.prevent_default();
                self.step(rows, ev.key() == "ArrowDown");
            }
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(i) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|el| el.get_attribute("data-index"))
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    self.selected.set(Some(i));
                }
                if ev.key() == "Enter" {
                    if let Ok(Some(el)) = document().query_selector("[data-testid=tx-detail]") {
                        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                            let _ = el.focus();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Moves the selection one row down or up, to the next or previous window past the ends.
    fn step(self, r: &Rows, down: bool) {
        let position = self
            .selected
            .get_untracked()
            .and_then(|i| r.rows.iter().position(|row| row.index == i));
        let next = match (position, down) {
            (None, _) => Some(0),
            (Some(p), true) if p + 1 < r.rows.len() => Some(p + 1),
            (Some(p), false) if p > 0 => Some(p - 1),
            (Some(_), true) => {
                if r.offset + r.rows.len() < r.matched {
                    self.pending.set(Some(Pending::First));
                    self.to_page(r.offset + PAGE);
                }
                None
            }
            (Some(_), false) => {
                if r.offset > 0 {
                    self.pending.set(Some(Pending::Last));
                    self.to_page(r.offset.saturating_sub(PAGE));
                }
                None
            }
        };
        if let Some(row) = next.and_then(|p| r.rows.get(p)) {
            let i = row.index;
            self.selected.set(Some(i));
            focus_row(i);
        }
    }
}

#[component]
pub(super) fn TransactionTable(
    rows: Rows,
    cursor: Cursor,
    on_key: impl Fn(leptos::ev::KeyboardEvent) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let selected = cursor.selected;
    let (first, last) = (rows.offset, rows.offset + rows.rows.len());
    let matched = rows.matched;
    let more = last < matched;
    let range = if matched == 0 {
        "No transaction matches the filters.".to_string()
    } else {
        format!("Transactions {}–{last} of {matched}", first + 1)
    };
    view! {
        <div class="cap-table">
            <div class="pager">
                <span data-testid="rows-range">{range}</span>
                <button data-testid="rows-prev" disabled=first == 0
                    on:click=move |_| cursor.to_page(first.saturating_sub(PAGE))>"◀ previous"</button>
                <button data-testid="rows-next" disabled=!more
                    on:click=move |_| cursor.to_page(first + PAGE)>"next ▶"</button>
            </div>
            <table data-testid="tx-table">
                <thead><tr>
                    <th>"when"</th><th>"client"</th><th>"name"</th><th>"type"</th>
                    <th>"rcode"</th><th>"latency"</th><th>"sent"</th><th>"frame"</th>
                </tr></thead>
                <tbody on:keydown=on_key>
                    {rows.rows.into_iter().map(|row| {
                        let i = row.index;
                        let t = row.transaction;
                        let class = Class::of(&t);
                        let axis = if t.time_us.is_some() { Axis::Time } else { Axis::Order };
                        let place = if t.line > 0 { format!("line {}", t.line) } else { format!("#{}", t.frame) };
                        view! {
                            <tr data-testid="tx-row" data-index=i data-rcode=class.label() tabindex="0"
                                class:selected=move || selected.get() == Some(i)
                                aria-selected=move || (selected.get() == Some(i)).to_string()
                                on:click=move |_| selected.set(Some(i))>
                                <td class="num">{fmt_x(row.x, axis)}</td>
                                <td title=format!("to {}", t.server)><code>{t.client.to_string()}</code></td>
                                <td class="name"><code>{t.name.to_string()}</code></td>
                                <td>{t.qtype.to_string()}</td>
                                <td><span class=format!("rc {}", class.css())>{class.label()}</span>{t.truncated.then_some(" TC")}</td>
                                <td class="num">{t.latency_us.map(fmt_us).unwrap_or_default()}</td>
                                <td class="num">{if t.queries_sent > 1 { format!("{}×", t.queries_sent) } else { String::new() }}</td>
                                <td class="num">{place}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
