//! In-browser unit tests (wasm-bindgen-test in headless Chromium): the App mounts, draws the example, and
//! follows the paste area.
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

#[wasm_bindgen_test]
async fn example_graph_shows_shares() {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), dnatlas_app::App);
    leptos::task::tick().await;
    let nginx = texts(
        &root,
        r#"[data-service="default/nginx"] [data-testid="edge-share"]"#,
    );
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
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), dnatlas_app::App);
    leptos::task::tick().await;
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
    leptos::task::tick().await;
    assert!(texts(&root, r#"[data-service="default/nginx"]"#).is_empty());
    let svc2 = texts(
        &root,
        r#"[data-service="ns2/svc2:p8080"] [data-testid="endpoint"] .box-title"#,
    );
    assert_eq!(svc2, ["10.0.2.1:8080"]);
    drop(handle);
}
