//! All interop with the playground's own JavaScript (web/js/, bundled into
//! `playground.js` next to the app's JS glue): the CodeMirror editor, whose
//! positions cross as UTF-16 offsets, and the share link codec, which uses
//! the browser's `CompressionStream` so the wasm carries no compressor.
//!
//! `playground.js` runs before the app (`index.html` loads it first) and
//! puts them in `globalThis.kubeImmutablePlayground`, where the glue looks
//! them up when called. The glue does not import it: the checker worker
//! imports the glue too, and CodeMirror has no business there (loading it
//! made the worker's start several times slower).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlElement;

#[wasm_bindgen(js_namespace = kubeImmutablePlayground)]
extern "C" {
    #[wasm_bindgen(js_name = encodeShare)]
    fn encode_share(json: &str) -> js_sys::Promise;

    #[wasm_bindgen(js_name = decodeShare)]
    fn decode_share(fragment: &str) -> js_sys::Promise;

    /// A rule's page as HTML, fetched from `rule-pages.json` once.
    #[wasm_bindgen(js_name = ruleDocs)]
    fn rule_docs(id: &str, lang: &str) -> js_sys::Promise;

    /// An example's manifest, fetched from `examples.json` once.
    #[wasm_bindgen(js_name = exampleText)]
    fn example_text_js(file: &str) -> js_sys::Promise;

    /// The checker worker's client (`web/js/checker.mjs`).
    #[wasm_bindgen(js_name = Checker)]
    pub type JsChecker;

    #[wasm_bindgen(constructor, js_class = "Checker")]
    pub fn new(
        glue: &str,
        module: &wasm_bindgen::JsValue,
        timeout_ms: u32,
        on_answer: &Closure<dyn FnMut(String, u32, Option<String>, wasm_bindgen::JsValue)>,
    ) -> JsChecker;

    /// Ask for a check or a fix; returns its id.
    #[wasm_bindgen(method, js_class = "Checker")]
    pub fn send(
        this: &JsChecker,
        kind: &str,
        text: &wasm_bindgen::JsValue,
        settings: &str,
        lang: &str,
        listed: usize,
    ) -> u32;

    #[wasm_bindgen(js_name = Editor)]
    type JsEditor;

    #[wasm_bindgen(constructor, js_class = "Editor")]
    fn new(
        parent: &HtmlElement,
        doc: &str,
        label: &str,
        on_change: &Closure<dyn FnMut()>,
        on_run: &Closure<dyn FnMut()>,
    ) -> JsEditor;

    #[wasm_bindgen(method, js_class = "Editor")]
    fn text(this: &JsEditor) -> wasm_bindgen::JsValue;

    #[wasm_bindgen(method, js_class = "Editor", js_name = setText)]
    fn set_text(this: &JsEditor, text: &str);

    #[wasm_bindgen(method, js_class = "Editor", js_name = setDiagnostics)]
    fn set_diagnostics(this: &JsEditor, json: &wasm_bindgen::JsValue);

    #[wasm_bindgen(method, js_class = "Editor", js_name = selectRange)]
    fn select_range(
        this: &JsEditor,
        line: usize,
        column: usize,
        end_line: usize,
        end_column: usize,
    );

    #[wasm_bindgen(method, js_class = "Editor", js_name = goToLine)]
    fn go_to_line(this: &JsEditor, line: usize);

    #[wasm_bindgen(method, js_class = "Editor", js_name = setLabel)]
    fn set_label(this: &JsEditor, label: &str);

    #[wasm_bindgen(method, js_class = "Editor")]
    fn destroy(this: &JsEditor);
}

/// The share fragment (`v1=…`, without `#`) for a JSON payload
/// ([`crate::share::payload`]).
pub async fn share_fragment(json: &str) -> Option<String> {
    JsFuture::from(encode_share(json)).await.ok()?.as_string()
}

/// The JSON payload of a fragment; `Ok(None)` when it is not a share link,
/// `Err` with the reason when it does not decode.
pub async fn share_payload(fragment: &str) -> Result<Option<String>, String> {
    match JsFuture::from(decode_share(fragment)).await {
        Ok(value) => Ok(value.as_string()),
        Err(e) => Err(js_sys::Error::from(e)
            .message()
            .as_string()
            .unwrap_or_default()),
    }
}

thread_local! {
    static RULE_DOCS: std::cell::RefCell<Vec<(&'static str, &'static str, std::rc::Rc<str>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A rule's page in a language as HTML, rendered once per rule and
/// language. The pages are not in the wasm (the core is built without its
/// `docs` feature): the first call fetches them (`rule-pages.json`, from
/// `cargo xtask docs`); `None` when they cannot be had (offline before the
/// service worker cached them).
pub async fn rule_docs_html(id: &'static str, lang: &'static str) -> Option<std::rc::Rc<str>> {
    let cached = RULE_DOCS.with_borrow(|cache| {
        cache
            .iter()
            .find(|(i, l, _)| *i == id && *l == lang)
            .map(|(.., html)| html.clone())
    });
    if cached.is_some() {
        return cached;
    }
    let html: std::rc::Rc<str> = JsFuture::from(rule_docs(id, lang))
        .await
        .ok()?
        .as_string()?
        .into();
    RULE_DOCS.with_borrow_mut(|cache| cache.push((id, lang, html.clone())));
    Some(html)
}

/// An example's manifest (`None` when `examples.json` cannot be had:
/// offline before the service worker cached it).
pub async fn example_text(file: &str) -> Option<String> {
    JsFuture::from(example_text_js(file))
        .await
        .ok()?
        .as_string()
}

/// A live editor and the callbacks it holds (dropped with it).
pub struct Editor {
    js: JsEditor,
    _on_change: Closure<dyn FnMut()>,
    _on_run: Closure<dyn FnMut()>,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Editor")
    }
}

impl Editor {
    /// Create an editor in `parent`. `on_change` runs after every change of
    /// the text, `on_run` on Ctrl/Cmd+Enter.
    pub fn new(
        parent: &HtmlElement,
        text: &str,
        label: &str,
        on_change: impl FnMut() + 'static,
        on_run: impl FnMut() + 'static,
    ) -> Self {
        let on_change = Closure::<dyn FnMut()>::new(on_change);
        let on_run = Closure::<dyn FnMut()>::new(on_run);
        let js = JsEditor::new(parent, text, label, &on_change, &on_run);
        Self {
            js,
            _on_change: on_change,
            _on_run: on_run,
        }
    }

    /// The text, as the JavaScript string the worker is sent: a long one
    /// is never copied into the page's wasm for a check.
    pub fn text(&self) -> wasm_bindgen::JsValue {
        self.js.text()
    }

    pub fn set_text(&self, text: &str) {
        self.js.set_text(text);
    }

    /// Markers from [`crate::checker::markers`], a JSON string as the
    /// worker sent it (it never enters the page's wasm).
    pub fn set_markers(&self, json: &wasm_bindgen::JsValue) {
        self.js.set_diagnostics(json);
    }

    /// Select a range (lines and UTF-16 columns, [`crate::checker::Range`])
    /// and scroll to it, leaving the focus where it is (a keyboard user
    /// reading the findings stays there).
    pub fn select(&self, [line, column, end_line, end_column]: crate::checker::Range) {
        self.js.select_range(line, column, end_line, end_column);
    }

    pub fn go_to_line(&self, line: usize) {
        self.js.go_to_line(line);
    }

    pub fn set_label(&self, label: &str) {
        self.js.set_label(label);
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.js.destroy();
    }
}
