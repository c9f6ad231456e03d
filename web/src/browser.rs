//! Small wrappers over the browser APIs the playground uses (web-sys). They
//! never panic: a missing API (storage disabled, no clipboard) is a no-op or
//! an `Err` the caller can show.

use wasm_bindgen::{JsCast, JsValue};

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Milliseconds from `performance.now()`.
pub fn now() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The URL fragment, without `#`.
pub fn fragment() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_owned())
        .unwrap_or_default()
}

/// Replace the fragment without a history entry (empty removes it).
pub fn replace_fragment(fragment: &str) {
    let Some(w) = window() else { return };
    let location = w.location();
    let base = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let url = if fragment.is_empty() {
        base
    } else {
        format!("{base}#{fragment}")
    };
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// A query parameter of the page's URL.
pub fn query(name: &str) -> Option<String> {
    let search = window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// The page's URL without `?embed=1`, with the current fragment.
pub fn full_playground_url() -> String {
    let Some(w) = window() else {
        return String::new();
    };
    let Ok(url) = web_sys::Url::new(&w.location().href().unwrap_or_default()) else {
        return String::new();
    };
    url.search_params().delete("embed");
    url.href()
}

/// The page's URL with a fragment (for the share button).
pub fn url_with_fragment(fragment: &str) -> String {
    let Some(w) = window() else {
        return String::new();
    };
    let location = w.location();
    format!(
        "{}{}{}#{fragment}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

fn storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok().flatten()
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Store a value; `false` when the browser refused (quota, private mode).
pub fn save(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// The browser's preferred language (`navigator.language`).
pub fn browser_language() -> String {
    window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default()
}

/// Set an attribute on `<html>` (`None` removes it).
pub fn set_root_attribute(name: &str, value: Option<&str>) {
    let Some(root) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match value {
        Some(v) => root.set_attribute(name, v),
        None => root.remove_attribute(name),
    };
}

pub fn set_title(title: &str) {
    if let Some(d) = window().and_then(|w| w.document()) {
        d.set_title(title);
    }
}

/// Copy text to the clipboard; `on_done(true)` when it worked.
pub fn copy(text: &str, on_done: impl FnOnce(bool) + 'static) {
    let Some(w) = window() else {
        on_done(false);
        return;
    };
    let promise = w.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        on_done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
    });
}

/// Offer text as a file download.
pub fn download(file_name: &str, text: &str, mime: &str) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Register the service worker that keeps the playground working offline.
/// Relative to the page, so the dist works under any sub-path.
pub fn register_service_worker() {
    let Some(w) = window() else { return };
    let navigator = w.navigator();
    // Absent on insecure origins and in some embedded browsers.
    if js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
        let _ = navigator.service_worker().register("./sw.js");
    }
}
