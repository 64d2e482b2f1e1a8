//! The trace player: one name from one pod, step by step along a focused map (the client, the DNS Service, the
//! target Service). Play, pause, step, speed; every step names its input lines (a click opens them in the source
//! viewer and highlights them on the map); at each fork every branch is listed with its share, and "Re-roll" follows
//! another by a new seed. Keyboard: Space plays or pauses, the arrows step.

use dnatlas_core::dns::plan::Resolver;
use dnatlas_core::Evidence;
use leptos::prelude::*;

use crate::client;
use crate::owned::TimerSlot;
use crate::protocol::map::{BOX_H, BOX_W};
use crate::protocol::trace::{Fork, Query, Step, View};
use crate::protocol::{Request, Response};
use crate::state::{AppState, ViewerTarget};

fn show(state: AppState, evidence: &[Evidence]) {
    if let Some(first) = evidence.iter().find(|e| e.line_number().is_some()) {
        let lines = evidence
            .iter()
            .filter(|e| e.source == first.source)
            .filter_map(Evidence::line_number)
            .collect();
        state.viewer.set(Some(ViewerTarget {
            source: first.source.to_string(),
            lines,
        }));
    }
}

fn evidence_buttons(state: AppState, evidence: Vec<Evidence>) -> impl IntoView {
    evidence
        .into_iter()
        .filter_map(|e| e.line_number().map(|line| (e, line)))
        .map(|(e, line)| {
            let text = format!("{}:{line}", e.source);
            let one = vec![e];
            view! {
                <button class="where" data-testid="step-line" on:click=move |ev| {
                    ev.stop_propagation();
                    show(state, &one);
                    state.highlight.set(one.clone());
                }>{text}</button>
            }
        })
        .collect_view()
}

/// The player's state: what to trace, the trace, and where playback is.
#[derive(Debug, Clone, Copy)]
struct Player {
    from: RwSignal<String>,
    to: RwSignal<String>,
    resolver: RwSignal<Resolver>,
    seed: RwSignal<u64>,
    result: RwSignal<Option<View>>,
    /// Why the last trace asked for got no answer (the engine failed meanwhile): said instead of a stale trace.
    failed: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    at: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<f64>,
}

impl Player {
    fn new() -> Self {
        Player {
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::from("nginx:80")),
            resolver: RwSignal::new(Resolver::Glibc),
            seed: RwSignal::new(1),
            result: RwSignal::new(None),
            failed: RwSignal::new(None),
            busy: RwSignal::new(false),
            at: RwSignal::new(0),
            playing: RwSignal::new(false),
            speed: RwSignal::new(1.0),
        }
    }

    /// Asks the engine for the trace; `keep_step` stays at the current step (a re-roll), else starts over.
    fn run(self, keep_step: bool) {
        let query = Query {
            from: self.from.get_untracked(),
            to: self.to.get_untracked(),
            resolver: self.resolver.get_untracked(),
            seed: self.seed.get_untracked(),
        };
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let response = client::call(Request::Trace(query), |_| {}).await;
            self.busy.set(false);
            if let Response::Error(message) = &response {
                self.failed.set(Some(message.clone()));
            }
            if let Response::Trace(view) = response {
                self.failed.set(None);
                let steps = view.steps.len();
                self.result.set(Some(*view));
                if !keep_step {
                    self.at.set(0);
                    self.playing.set(false);
                } else if self.at.get_untracked() >= steps {
                    self.at.set(steps.saturating_sub(1));
                }
            }
        });
    }

    fn steps_len(self) -> usize {
        self.result
            .with(|r| r.as_ref().map_or(0, |v| v.steps.len()))
    }

    fn go(self, i: usize) {
        let n = self.steps_len();
        if n > 0 {
            self.at.set(i.min(n - 1));
        }
    }

    fn forward(self) {
        let i = self.at.get_untracked();
        if i + 1 >= self.steps_len() {
            self.playing.set(false);
        } else {
            self.go(i + 1);
            if i + 2 >= self.steps_len() {
                self.playing.set(false);
            }
        }
    }

    fn back(self) {
        self.go(self.at.get_untracked().saturating_sub(1));
    }

    fn toggle(self) {
        if !self.playing.get_untracked() && self.at.get_untracked() + 1 >= self.steps_len() {
            self.at.set(0);
        }
        self.playing.update(|p| *p = !*p);
    }

    /// Space plays or pauses, the arrows step (not while typing in a field).
    fn key(self, ev: &web_sys::KeyboardEvent) {
        let tag = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .map(|e| e.tag_name())
            .unwrap_or_default();
        let text_field = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
        match ev.key().as_str() {
            " " if !text_field && tag != "BUTTON" => {
                ev.prevent_default();
                self.toggle();
            }
            "ArrowRight" if !text_field => {
                ev.prevent_default();
                self.playing.set(false);
                self.forward();
            }
            "ArrowLeft" if !text_field => {
                ev.prevent_default();
                self.playing.set(false);
                self.back();
            }
            _ => {}
        }
    }

    /// The line above the player: who traced what, and how it ended (or why there is no answer).
    fn status(self) -> Option<String> {
        if let Some(message) = self.failed.get() {
            return Some(format!(
                "{} → {}: no answer — {message}",
                self.from.get_untracked(),
                self.to.get_untracked()
            ));
        }
        self.result.with(|r| {
            r.as_ref().map(|v| {
                let mut text = format!(
                    "{} → {}: {}",
                    v.trace.from,
                    v.trace.to,
                    v.trace.status.as_str()
                );
                if let Some(e) = &v.trace.error {
                    text.push_str(" — ");
                    text.push_str(e);
                }
                text
            })
        })
    }
}

/// The fork decided at or before step `at`, if any.
fn fork_at(v: &View, at: usize) -> Option<Fork> {
    v.steps
        .iter()
        .take(at + 1)
        .rev()
        .find_map(|s| s.fork.clone())
}

/// The trace player's tab.
#[component]
pub fn TracePlayer() -> impl IntoView {
    let state = expect_context::<AppState>();
    let p = Player::new();

    // A first client by default, once the summary names some.
    Effect::new(move |_| {
        let first = state.summary.with(|s| {
            s.as_ref()
                .and_then(|s| s.clients.first().map(|c| c.ip.clone()))
        });
        if p.from.get_untracked().is_empty() {
            if let Some(ip) = first {
                p.from.set(ip);
            }
        }
    });

    // Playback: one timer per step; a newer schedule, a pause or leaving the tab cancels the older.
    let timer = TimerSlot::new();
    Effect::new(move |_| {
        let (is_playing, _step, rate) = (p.playing.get(), p.at.get(), p.speed.get());
        if is_playing {
            let ms = (900.0 / rate.max(0.1)) as u32;
            timer.set(ms, move || {
                if p.playing.get_untracked() {
                    p.forward();
                }
            });
        } else {
            timer.clear();
        }
    });

    // The current step's lines are the map's highlight.
    Effect::new(move |_| {
        let evidence = p.result.with(|r| {
            r.as_ref()
                .and_then(|v| v.steps.get(p.at.get()))
                .map(|s| s.evidence.clone())
        });
        if let Some(evidence) = evidence {
            state.highlight.set(evidence);
        }
    });

    view! {
        <section class="trace" data-testid="trace-player" tabindex="0" on:keydown=move |ev| p.key(&ev)
            aria-label="Trace player: Space plays or pauses, arrows step">
            <TraceForm p/>
            <p class="trace-status" class:failed=move || p.failed.get().is_some() data-testid="trace-status">{move || p.status()}</p>
            {move || p.result.with(|r| r.is_some()).then(|| view! { <PlayerBar p/> })}
            {move || p.result.get().map(|v| scene(&v, p.at.get()))}
            {move || fork_panel(p)}
            {move || step_list(state, p)}
        </section>
    }
}

/// What to trace: from which pod, to which name, with which resolver.
#[component]
fn TraceForm(p: Player) -> impl IntoView {
    let state = expect_context::<AppState>();
    let clients = move || {
        state
            .summary
            .with(|s| s.as_ref().map(|s| s.clients.clone()))
            .unwrap_or_default()
    };
    let (from, to, resolver) = (p.from, p.to, p.resolver);
    view! {
        <form class="trace-form" on:submit=move |ev| { ev.prevent_default(); p.run(false); }>
            <label>"From "
                <input data-testid="trace-from" list="trace-clients" placeholder="pod IP" size="16"
                    prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                <datalist id="trace-clients">
                    {move || clients().into_iter().map(|c| view! { <option value=c.ip.clone()>{c.label}</option> }).collect_view()}
                </datalist>
            </label>
            <select data-testid="trace-client" aria-label="Pods the inputs name" on:change=move |ev| {
                let v = event_target_value(&ev);
                if !v.is_empty() { from.set(v); }
            }>
                <option value="">"pods…"</option>
                {move || clients().into_iter().map(|c| view! { <option value=c.ip.clone()>{format!("{} ({})", c.label, c.ip)}</option> }).collect_view()}
            </select>
            <label>"To "
                <input data-testid="trace-to" data-shortcut="search" placeholder="name[:port]" size="18"
                    prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
            </label>
            <label>"Resolver "
                <select data-testid="trace-resolver" on:change=move |ev| {
                    resolver.set(match event_target_value(&ev).as_str() {
                        "musl" => Resolver::Musl,
                        "go" => Resolver::Go,
                        "busybox" => Resolver::Busybox,
                        _ => Resolver::Glibc,
                    });
                }>
                    <option value="glibc">"glibc"</option>
                    <option value="musl">"musl"</option>
                    <option value="go">"Go"</option>
                    <option value="busybox">"busybox"</option>
                </select>
            </label>
            <button type="submit" data-testid="trace-run" disabled=move || p.busy.get()>"Trace"</button>
        </form>
    }
}

/// Play, pause, step and speed.
#[component]
fn PlayerBar(p: Player) -> impl IntoView {
    view! {
        <div class="player" role="toolbar" aria-label="Playback">
            <button data-testid="step-back" title="Step back (←)" on:click=move |_| { p.playing.set(false); p.back(); }>"◀ Step"</button>
            <button data-testid="play" title="Play or pause (Space)" on:click=move |_| p.toggle()>
                {move || if p.playing.get() { "Pause" } else { "Play" }}
            </button>
            <button data-testid="step-forward" title="Step forward (→)" on:click=move |_| { p.playing.set(false); p.forward(); }>"Step ▶"</button>
            <label>"Speed "
                <select data-testid="speed" on:change=move |ev| p.speed.set(event_target_value(&ev).parse().unwrap_or(1.0))>
                    <option value="0.5">"0.5×"</option>
                    <option value="1" selected>"1×"</option>
                    <option value="2">"2×"</option>
                    <option value="4">"4×"</option>
                </select>
            </label>
            <span class="step-count" data-testid="step-count">{move || format!("step {} of {}", p.at.get() + 1, p.steps_len())}</span>
        </div>
    }
}

/// The focused map with the packet at step `at`, the edges taken so far and the branches followed.
fn scene(v: &View, at: usize) -> impl IntoView {
    let here = v.steps.get(at).map(|s| s.at);
    let fork = fork_at(v, at);
    let chosen_boxes: Vec<usize> = v
        .steps
        .iter()
        .filter_map(|s| {
            s.fork
                .as_ref()
                .and_then(|f| f.branches.get(f.chosen).map(|b| b.at))
        })
        .collect();
    let boxes = v.scene.boxes.clone();
    let (dot_x, dot_y) = here
        .and_then(|i| boxes.get(i))
        .map_or((0.0, 0.0), |b| (b.x + BOX_W - 14.0, b.y + BOX_H / 2.0));
    let visited: Vec<usize> = v.steps.iter().take(at + 1).map(|s| s.at).collect();
    view! {
        <svg class="trace-scene" data-testid="trace-scene" role="img" aria-label="Focused map of the trace"
            viewBox=format!("0 0 {:.0} {:.0}", v.scene.width, v.scene.height)
            style=format!("max-width:{:.0}px", v.scene.width)>
            <text class="col-title" x="116" y="24">"Client"</text>
            <text class="col-title" x="336" y="24">"Queries"</text>
            <text class="col-title" x="576" y="24">"Service VIP"</text>
            <text class="col-title" x="816" y="24">"Service chain"</text>
            <text class="col-title" x="1096" y="24">"Pod"</text>
            {v.scene.edges.iter().map(|e| {
                let (Some(a), Some(b)) = (boxes.get(e.from), boxes.get(e.to)) else { return ().into_any() };
                let (x1, y1, x2, y2) = (a.x + BOX_W, a.y + BOX_H / 2.0, b.x, b.y + BOX_H / 2.0);
                let dx = (x2 - x1) / 2.0;
                let taken = visited.contains(&e.to) && visited.contains(&e.from);
                view! {
                    <path class="edge" class:taken=taken d=format!("M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}", x1 + dx, x2 - dx)/>
                    {(!e.label.is_empty()).then(|| view! {
                        <text class="edge-share" data-testid="branch-share" x=format!("{:.1}", x2 - 34.0) y=format!("{:.1}", y2 - 6.0)>{e.label.clone()}</text>
                    })}
                }.into_any()
            }).collect_view()}
            {boxes.iter().enumerate().map(|(i, b)| {
                let chosen = fork.as_ref().is_some_and(|f| f.branches.get(f.chosen).is_some_and(|c| c.at == i)) || chosen_boxes.contains(&i) && visited.contains(&i);
                view! {
                    <g class=b.class.clone() class:current=here == Some(i) class:chosen=chosen data-testid="scene-box">
                        <rect x=format!("{:.1}", b.x) y=format!("{:.1}", b.y) width=BOX_W.to_string() height=BOX_H.to_string() rx="6"/>
                        <text class="box-title" x=format!("{:.1}", b.x + 10.0) y=format!("{:.1}", b.y + 17.0)>{b.title.clone()}</text>
                        <text class="box-sub" x=format!("{:.1}", b.x + 10.0) y=format!("{:.1}", b.y + 32.0)>{b.subtitle.clone()}</text>
                    </g>
                }
            }).collect_view()}
            <circle class="packet" data-testid="packet" r="7" cx="0" cy="0"
                style=format!("transform: translate({dot_x:.1}px, {dot_y:.1}px)")/>
        </svg>
    }
}

/// The fork decided at or before the current step: every branch with its share, the one followed, and Re-roll.
fn fork_panel(p: Player) -> Option<impl IntoView> {
    let fork = p.result.with(|r| fork_at(r.as_ref()?, p.at.get()))?;
    Some(view! {
        <div class="fork" data-testid="fork">
            <span class="fork-title">"Fork: "{fork.branches.len()}" branches"</span>
            <ul>
                {fork.branches.iter().enumerate().map(|(k, b)| view! {
                    <li class:chosen=k == fork.chosen data-testid="fork-branch" data-chosen=(k == fork.chosen).to_string()>
                        <span class="share">{b.share.clone()}</span>" "<span class="branch">{b.label.clone()}</span>
                        {(k == fork.chosen).then_some(" ← followed")}
                    </li>
                }).collect_view()}
            </ul>
            <button data-testid="reroll" on:click=move |_| { p.seed.update(|s| *s += 1); p.run(true); }>"Re-roll"</button>
        </div>
    })
}

/// Every step, the current one marked; a click goes to it, a line button opens its lines.
fn step_list(state: AppState, p: Player) -> Option<impl IntoView> {
    let v = p.result.get()?;
    let current = p.at.get();
    Some(view! {
        <ol class="steps" data-testid="steps">
            {v.steps.into_iter().enumerate().map(|(i, s): (usize, Step)| {
                let kind = format!("{:?}", s.kind);
                view! {
                    <li class="step" class:current=i == current class:done=i < current data-testid="step" data-kind=kind
                        on:click=move |_| { p.playing.set(false); p.go(i); }>
                        <span class="step-label">{s.label}</span>
                        {s.fork.as_ref().map(|f| view! { <span class="step-fork">{format!(" · fork of {}", f.branches.len())}</span> })}
                        <span class="step-lines">{evidence_buttons(state, s.evidence)}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    })
}
