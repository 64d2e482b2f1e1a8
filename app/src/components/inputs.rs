//! The inputs panel: paste areas (each with its name), the file picker and a drop zone (files dropped anywhere on the
//! page), and for each input its detected kind with an override, its node, its size, counts that fit its kind, and
//! its diagnostics (a click shows the line in the source viewer).

use dnatlas_core::{Counts, Diagnostic, Kind};
use leptos::prelude::*;

use crate::owned::on_window;
use crate::protocol::SourceInfo;
use crate::state::{AppState, InputEntry, ViewerTarget};

/// Every kind, in the order the override lists them.
pub const KINDS: [Kind; 9] = [
    Kind::IptablesSave,
    Kind::IptablesList,
    Kind::Kubectl,
    Kind::ResolvConf,
    Kind::Corefile,
    Kind::Tcpdump,
    Kind::Pcap,
    Kind::Pcapng,
    Kind::Unknown,
];

/// The kind an override's `<select>` value names (`"auto"`: none, detect it).
pub fn parse_kind(value: &str) -> Option<Kind> {
    KINDS.into_iter().find(|k| k.as_str() == value)
}

/// The counts that mean something for an input of `kind`.
pub fn counts_text(kind: Kind, c: &Counts) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let u = |n: usize| n as u64;
    let mut parts = match kind {
        Kind::IptablesSave | Kind::IptablesList => vec![
            plural(u(c.lines), "line", "lines"),
            plural(u(c.chains), "chain", "chains"),
            plural(u(c.rules), "rule", "rules"),
            plural(u(c.services), "service port", "service ports"),
            plural(u(c.endpoints), "endpoint", "endpoints"),
        ],
        Kind::Kubectl => vec![
            plural(u(c.lines), "line", "lines"),
            plural(u(c.services), "service", "services"),
            plural(u(c.endpoints), "endpoint", "endpoints"),
        ],
        Kind::Tcpdump | Kind::Pcap | Kind::Pcapng => vec![
            plural(c.packets, "packet", "packets"),
            plural(c.dns_messages, "DNS message", "DNS messages"),
            plural(c.transactions, "transaction", "transactions"),
        ],
        Kind::Corefile => vec![],
        Kind::ResolvConf | Kind::Unknown => vec![plural(u(c.lines), "line", "lines")],
    };
    if c.server_blocks > 0 || kind == Kind::Corefile {
        parts.push(plural(u(c.server_blocks), "server block", "server blocks"));
        parts.push(plural(u(c.zones), "zone", "zones"));
        parts.push(plural(u(c.plugins), "plugin line", "plugin lines"));
    }
    parts.join(" · ")
}

/// A size for people: bytes, KB or MB (powers of 1024).
pub fn size_text(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KB", b / KIB)
    } else {
        format!("{:.1} MB", b / (KIB * KIB))
    }
}

/// Where a diagnostic points: `line:column`, or `frame N` in a binary capture.
pub fn location_text(d: &Diagnostic) -> String {
    match d.frame {
        Some(frame) if d.line == 0 => format!("frame {frame}"),
        _ => format!("{}:{}", d.line, d.column),
    }
}

/// Reads files one after the other (so they keep their order) and adds them as inputs.
#[cfg(target_arch = "wasm32")]
fn add_files(state: AppState, files: Vec<web_sys::File>) {
    leptos::task::spawn_local(async move {
        for file in files {
            let bytes = crate::files::read_capped(&file).await;
            state.add_file(file.name(), bytes, &file);
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn add_files(_state: AppState, _files: Vec<web_sys::File>) {}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// Paste areas, file picker, drop zone and the list of inputs.
#[component]
pub fn InputsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_files = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        add_files(state, file_list(input.files()));
        // Let the same file be picked again after a change on disk.
        input.set_value("");
    };

    // Files dropped anywhere on the page; the overlay shows while something is dragged over it. Enter and leave
    // fire for every element crossed, so a count tells when the drag has left the page.
    let dragging = RwSignal::new(0i32);
    let has_files = |ev: &web_sys::DragEvent| {
        ev.data_transfer().is_some_and(|dt| {
            dt.types()
                .iter()
                .any(|t| t.as_string().as_deref() == Some("Files"))
        })
    };
    on_window("dragenter", move |ev: &web_sys::DragEvent| {
        if has_files(ev) {
            ev.prevent_default();
            dragging.update(|n| *n += 1);
        }
    });
    on_window("dragover", move |ev: &web_sys::DragEvent| {
        if has_files(ev) {
            ev.prevent_default();
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("copy");
            }
        }
    });
    on_window("dragleave", move |_: &web_sys::DragEvent| {
        dragging.update(|n| *n = (*n - 1).max(0));
    });
    on_window("drop", move |ev: &web_sys::DragEvent| {
        dragging.set(0);
        let files = file_list(ev.data_transfer().and_then(|dt| dt.files()));
        if !files.is_empty() {
            ev.prevent_default();
            add_files(state, files);
        }
    });

    let has_paste = move || {
        state
            .inputs
            .with(|inputs| inputs.iter().any(|e| e.text.is_some()))
    };
    let add_paste = move |_| {
        let n = state
            .inputs
            .with_untracked(|inputs| inputs.iter().filter(|e| e.text.is_some()).count())
            + 1;
        state.add_paste(&format!("paste {n}"), String::new());
    };
    let known_nodes = move || {
        let mut nodes: Vec<String> = state
            .summary
            .with(|s| {
                s.as_ref()
                    .map(|s| s.nodes.iter().map(|n| n.name.clone()).collect())
            })
            .unwrap_or_default();
        state
            .inputs
            .with(|inputs| nodes.extend(inputs.iter().filter_map(|e| e.node.clone())));
        nodes.sort();
        nodes.dedup();
        nodes
    };
    view! {
        <aside class="inputs" data-testid="inputs">
            <h2>"Inputs"</h2>
            <Show when=move || !has_paste()>
                <label class="field">
                    <span>"Paste an iptables-save dump, kubectl output, a resolv.conf, a Corefile or tcpdump text"</span>
                    <textarea data-testid="paste" spellcheck="false"
                        placeholder="*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES …"
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            if !text.is_empty() {
                                state.add_paste("pasted", text);
                            }
                        }
                    ></textarea>
                </label>
            </Show>
            <ul class="sources" data-testid="sources">
                <For each=move || state.inputs.get() key=|e| e.id let:entry>
                    <InputCard entry=entry/>
                </For>
            </ul>
            <datalist id="known-nodes">
                {move || known_nodes().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
            </datalist>
            <div class="add-inputs">
                <button data-testid="add-paste" on:click=add_paste>"+ Paste area"</button>
                <label class="file-button">
                    <span>"Pick files…"</span>
                    <input type="file" multiple data-testid="file-input" on:change=on_files/>
                </label>
            </div>
            <p class="drop-hint" data-testid="drop-zone">"…or drop files anywhere on the page: dumps, kubectl output, captures (pcap, pcapng), any mix."</p>
            <Show when=move || { dragging.get() > 0 }>
                <div class="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
                    <div>"Drop files to add them as inputs"</div>
                </div>
            </Show>
        </aside>
    }
}

/// One input: its name (editable), kind, node, size, counts and diagnostics; a paste area's text.
#[component]
fn InputCard(entry: InputEntry) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = entry.id;
    let this = move || {
        state
            .inputs
            .with(|inputs| inputs.iter().find(|e| e.id == id).cloned())
    };
    let info = Memo::new(move |_| -> Option<SourceInfo> {
        state.summary.with(|s| {
            s.as_ref()
                .and_then(|s| s.sources.iter().find(|x| x.id == id).cloned())
        })
    });
    let name = move || this().map(|e| e.name).unwrap_or_default();
    // The analysed name (made unique among the inputs) is the one evidence and diagnostics cite.
    let shown_name = move || info.get().map(|i| i.report.name).unwrap_or_else(name);
    let kind_value = move || {
        this()
            .and_then(|e| e.kind)
            .map_or("auto", Kind::as_str)
            .to_string()
    };
    let paste_text = entry.text.clone();
    let on_diagnostic = move |source: String, line: u32| {
        state.viewer.set(Some(ViewerTarget {
            source,
            lines: if line > 0 { vec![line] } else { Vec::new() },
        }));
    };
    view! {
        <li class="source" data-testid="source" data-name=shown_name data-id=id.to_string()>
            <div class="source-head">
                <input class="source-name" data-testid="source-name" aria-label="Input name" spellcheck="false"
                    prop:value=name
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        let value = value.trim();
                        if !value.is_empty() {
                            state.rename(id, value.to_string());
                        }
                    }/>
                {move || info.get().map(|i| view! { <span class="kind" data-testid="source-kind">{i.report.kind.as_str()}</span> })}
                <button class="remove" data-testid="remove" title="Remove this input"
                    aria-label=move || format!("Remove {}", name())
                    on:click=move |_| state.remove(id)>"×"</button>
            </div>
            {paste_text.map(|text| view! {
                <textarea data-testid="paste" spellcheck="false" aria-label=move || format!("Text of {}", name())
                    prop:value=text
                    on:input=move |ev| state.set_text(id, event_target_value(&ev))></textarea>
            })}
            <div class="source-meta">
                <label>
                    <span class="sr-only">"Kind"</span>
                    <select data-testid="kind-select" aria-label="Kind" prop:value=kind_value
                        on:change=move |ev| state.set_kind(id, parse_kind(&event_target_value(&ev)))>
                        <option value="auto">"auto-detect"</option>
                        {KINDS.into_iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="node-field">
                    <span>"node"</span>
                    <input data-testid="node-input" list="known-nodes" spellcheck="false" placeholder="(own)"
                        aria-label="Node"
                        prop:value=move || this().and_then(|e| e.node).unwrap_or_default()
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            let value = value.trim();
                            state.set_node(id, (!value.is_empty()).then(|| value.to_string()));
                        }/>
                </label>
                <span class="size" data-testid="source-size">{move || this().map(|e| size_text(e.size))}</span>
            </div>
            {move || info.get().map(|i| {
                let report = i.report;
                let source = report.name.clone();
                view! {
                    <div class="counts" data-testid="source-counts">
                        {counts_text(report.kind, &report.counts)}
                        {report.generated_by.clone().map(|g| format!(" · {g}"))}
                    </div>
                    <ul class="diagnostics">
                        {report.diagnostics.into_iter().map(|d| {
                            let severity = format!("{:?}", d.severity).to_lowercase();
                            let source = source.clone();
                            let line = d.line;
                            view! {
                                <li class=format!("diagnostic {severity}")>
                                    <button class="diagnostic-link" data-testid="diagnostic"
                                        title="Show this line in the source viewer"
                                        on:click=move |_| on_diagnostic(source.clone(), line)>
                                        <span class="where">{location_text(&d)}</span>
                                        " "<span class="code">{format!("{severity}[{}]", d.code)}</span>
                                        " "<span class="message">{d.message}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnatlas_core::Severity;

    #[test]
    fn every_kind_is_listed_once_and_parses_back() {
        for k in KINDS {
            assert_eq!(parse_kind(k.as_str()), Some(k));
        }
        assert_eq!(parse_kind("auto"), None);
        let mut names: Vec<_> = KINDS.iter().map(|k| k.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), 9);
    }

    #[test]
    fn counts_fit_the_kind() {
        let dump = Counts {
            lines: 120,
            chains: 30,
            rules: 80,
            services: 2,
            endpoints: 1,
            ..Counts::default()
        };
        assert_eq!(
            counts_text(Kind::IptablesSave, &dump),
            "120 lines · 30 chains · 80 rules · 2 service ports · 1 endpoint"
        );
        let capture = Counts {
            packets: 176,
            dns_messages: 170,
            transactions: 80,
            ..Counts::default()
        };
        assert_eq!(
            counts_text(Kind::Pcap, &capture),
            "176 packets · 170 DNS messages · 80 transactions"
        );
        let corefile = Counts {
            lines: 20,
            server_blocks: 1,
            zones: 2,
            plugins: 9,
            ..Counts::default()
        };
        assert_eq!(
            counts_text(Kind::Corefile, &corefile),
            "1 server block · 2 zones · 9 plugin lines"
        );
        let kubectl = Counts {
            lines: 5,
            services: 3,
            endpoints: 4,
            ..Counts::default()
        };
        assert_eq!(
            counts_text(Kind::Kubectl, &kubectl),
            "5 lines · 3 services · 4 endpoints"
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1536), "1.5 KB");
        assert_eq!(size_text(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn capture_diagnostics_point_at_their_frame() {
        let mut d = Diagnostic::new(Severity::Warning, "x", 0, 0, "m");
        d.frame = Some(12);
        assert_eq!(location_text(&d), "frame 12");
        let text = Diagnostic::new(Severity::Error, "y", 3, 20, "m");
        assert_eq!(location_text(&text), "3:20");
    }
}
