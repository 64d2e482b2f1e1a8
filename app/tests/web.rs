//! In-browser unit tests (wasm-bindgen-test in headless Chromium): the App mounts, draws the example, and
//! follows the paste area. No worker starts on a test page (no `trunk-app` block), so the engine runs in the page;
//! the saved inputs are cleared first so each test starts as a first visit.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::HtmlElement {
    let document = leptos::prelude::document();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn texts(root: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.text_content())
        .filter(|t| !t.trim().is_empty())
        .collect()
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits (up to 5 s) until `selector` matches texts equal to `expected`; returns what it last saw.
async fn wait_for_texts(
    root: &web_sys::HtmlElement,
    selector: &str,
    expected: &[&str],
) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        leptos::task::tick().await;
        seen = texts(root, selector);
        if seen == expected {
            break;
        }
        sleep_ms(50).await;
    }
    seen
}

#[wasm_bindgen_test]
async fn example_graph_shows_shares() {
    dnatlas_app::persist::clear().await;
    assert!(!dnatlas_app::client::in_worker());
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), dnatlas_app::App);
    let nginx = wait_for_texts(
        &root,
        r#"[data-service="default/nginx"] [data-testid="edge-share"]"#,
        &["33.3%", "33.3%", "33.3%"],
    )
    .await;
    assert_eq!(nginx, ["33.3%", "33.3%", "33.3%"]);
    let dns = texts(
        &root,
        r#"[data-service="kube-system/kube-dns:dns"] [data-testid="endpoint"] .box-title"#,
    );
    assert_eq!(dns, ["10.244.0.2:53"]);
    drop(handle);
}

#[wasm_bindgen_test]
async fn typing_into_the_paste_area_redraws() {
    dnatlas_app::persist::clear().await;
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), dnatlas_app::App);
    wait_for_texts(
        &root,
        r#"[data-service="kube-system/kube-dns:dns"] [data-testid="endpoint"] .box-title"#,
        &["10.244.0.2:53"],
    )
    .await;
    let area: web_sys::HtmlTextAreaElement = root
        .query_selector(r#"[data-testid="paste"]"#)
        .unwrap()
        .unwrap()
        .unchecked_into();
    area.set_value(include_str!(
        "../../fixtures/iptables/corpus-02-iptables-repeated-initial/input.txt"
    ));
    let event = web_sys::Event::new("input").unwrap();
    area.dispatch_event(&event).unwrap();
    // Analysed once typing pauses (250 ms).
    let svc2 = wait_for_texts(
        &root,
        r#"[data-service="ns2/svc2:p8080"] [data-testid="endpoint"] .box-title"#,
        &["10.0.2.1:8080"],
    )
    .await;
    assert_eq!(svc2, ["10.0.2.1:8080"]);
    assert!(texts(&root, r#"[data-service="default/nginx"]"#).is_empty());
    drop(handle);
}

#[wasm_bindgen_test]
async fn the_page_lets_go_of_its_listeners_when_it_goes() {
    dnatlas_app::persist::clear().await;
    let before = dnatlas_app::owned::held();
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), dnatlas_app::App);
    wait_for_texts(
        &root,
        r#"[data-service="kube-system/kube-dns:dns"] [data-testid="endpoint"] .box-title"#,
        &["10.244.0.2:53"],
    )
    .await;
    // The page's keys, and the four listeners of the drop zone.
    assert_eq!(dnatlas_app::owned::held(), before + 5);
    drop(handle);
    leptos::task::tick().await;
    assert_eq!(dnatlas_app::owned::held(), before);
}

#[wasm_bindgen_test]
fn an_inputs_buffer_is_transferred_when_the_bytes_own_it() {
    use dnatlas_app::protocol::{wire, ToEngine};
    let bytes = js_sys::Uint8Array::new_with_length(64);
    let (message, transfer) = wire::pack(&ToEngine::Put { id: 3 }, Some(&bytes)).unwrap();
    assert_eq!(transfer.length(), 1);
    assert!(js_sys::Object::is(&transfer.get(0), &bytes.buffer()));
    assert_eq!(
        wire::json(&message).and_then(|j| j.as_string()).as_deref(),
        Some(r#"{"put":{"id":3}}"#)
    );
    assert!(wire::bytes(&message).is_some_and(|b| b.length() == 64));
    // A view of part of a buffer is copied: the rest of the buffer is not the input's to give away.
    let part = bytes.subarray(8, 16);
    let (_, transfer) = wire::pack(&ToEngine::Put { id: 4 }, Some(&part)).unwrap();
    assert_eq!(transfer.length(), 0);
}
