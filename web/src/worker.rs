//! The checker worker: the core runs in a module Web Worker, so the page
//! only edits and draws.
//!
//! The worker is the same wasm as the page: `web/worker.js` imports
//! wasm-bindgen's glue (its URL is the page's `import.meta.url`) with the
//! module the page compiled, and calls the two entries exported here,
//! [`worker_check`] and [`worker_fix`]. Texts cross as JavaScript strings
//! (copied by the browser), views as [`crate::checker`]'s compact text.
//!
//! The page's side is [`Checker`], over `web/js/checker.mjs`: one request
//! in flight, only the newest check and fix waiting behind it; answers to
//! outdated requests dropped; a request that runs too long (an alias bomb,
//! a pathological input) ended by terminating the worker, and a new one
//! started; without a worker, the same entries run in the page.

use std::cell::RefCell;
use std::rc::Rc;

use kube_immutable_core::{Rechecker, Settings};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::checker;
use crate::i18n::Lang;
use crate::js::JsChecker;
use crate::share;

/// How long a request may run before its worker is ended, unless the page
/// says otherwise (`?check-timeout=MS`, for tests: web/README.md).
pub const TIMEOUT_MS: u32 = 10_000;

thread_local! {
    /// The worker's rechecker: the last text's documents.
    static RECHECKER: RefCell<Rechecker> = RefCell::default();
}

fn read_settings(settings: &str) -> Settings {
    share::json_value(settings)
        .ok()
        .and_then(|v| Settings::from_json(v).ok())
        .unwrap_or_default()
}

fn pair((a, b): (String, String)) -> js_sys::Array {
    js_sys::Array::of2(&JsValue::from_str(&a), &JsValue::from_str(&b))
}

/// In the worker: check a text, with settings (JSON), in a language,
/// listing about `listed` findings. Returns `[view, markers]`
/// ([`checker::check`]).
#[wasm_bindgen(js_name = workerCheck)]
pub fn worker_check(text: &str, settings: &str, lang: &str, listed: usize) -> js_sys::Array {
    let settings = read_settings(settings);
    pair(RECHECKER.with_borrow_mut(|rechecker| {
        checker::check(rechecker, text, &settings, Lang::from_code(lang), listed)
    }))
}

/// In the worker: fix a text. Returns `[fixed text, summary]`
/// ([`checker::fix`]).
#[wasm_bindgen(js_name = workerFix)]
pub fn worker_fix(text: &str, settings: &str, lang: &str) -> js_sys::Array {
    pair(checker::fix(
        text,
        &read_settings(settings),
        Lang::from_code(lang),
    ))
}

/// In the worker, when idle after loading: check the examples with a
/// rechecker of its own (the worker's keeps the page's text). Browsers
/// start wasm on a baseline tier and compile hot functions with their
/// optimising one as they run: without this, the first checks of a long
/// text ran several times slower (README, "The playground").
/// The examples come from the page (`examples.json`, not in the wasm).
#[wasm_bindgen(js_name = workerWarmUp)]
pub fn worker_warm_up(examples: &str) {
    let text = examples.repeat(8);
    checker::check(
        &mut Rechecker::default(),
        &text,
        &Settings::default(),
        Lang::En,
        200,
    );
}

#[wasm_bindgen]
extern "C" {
    type ImportMeta;

    /// `import.meta` of wasm-bindgen's glue, which the worker imports.
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;

    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Check,
    Fix,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Fix => "fix",
        }
    }
}

/// A text to check or fix, with what the page needs to show the answer.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    pub text: crate::checker::Text,
    pub settings: Rc<Settings>,
    pub lang: Lang,
    /// About how many findings to list (checks only).
    pub listed: usize,
    /// `performance.now()` when it was asked for.
    pub start: f64,
}

/// What the page hears back, for the newest request of its kind only.
pub enum Answer {
    /// [`checker::check`]'s view and markers (a JavaScript string, handed
    /// to the editor as it is).
    Checked(Request, String, JsValue),
    /// [`checker::fix`]'s fixed text and summary.
    Fixed(Request, String, String),
    /// The request ran longer than this many ms (`None`: its worker
    /// failed) and was stopped.
    Stopped(Request, Option<u32>),
}

/// The newest request of each kind (by [`Kind`]) and its id.
type Newest = Rc<RefCell<[Option<(u32, Request)>; 2]>>;

/// The page's handle on the checker worker.
pub struct Checker {
    js: JsChecker,
    /// The newest request of each kind and its id: the only ones answered.
    newest: Newest,
    _on_answer: Closure<dyn FnMut(String, u32, Option<String>, JsValue)>,
}

impl Checker {
    /// Start a worker; `on_answer` hears every answer to the newest
    /// request of each kind.
    pub fn start(timeout_ms: u32, on_answer: impl Fn(Answer) + 'static) -> Self {
        let newest = Newest::default();
        let requests = newest.clone();
        let on_answer = Closure::new(
            move |kind: String, id: u32, first: Option<String>, second: JsValue| {
                let slot = usize::from(kind == "fix");
                let taken = requests.borrow_mut()[slot].take_if(|(newest, _)| *newest == id);
                let Some((_, request)) = taken else { return };
                on_answer(match (first, request.kind) {
                    (None, _) => {
                        let ms = second.as_string().and_then(|ms| ms.parse().ok());
                        Answer::Stopped(request, ms)
                    }
                    (Some(first), Kind::Check) => Answer::Checked(request, first, second),
                    (Some(first), Kind::Fix) => {
                        Answer::Fixed(request, first, second.as_string().unwrap_or_default())
                    }
                });
            },
        );
        let glue = IMPORT_META.with(ImportMeta::url);
        let js = JsChecker::new(&glue, &wasm_bindgen::module(), timeout_ms, &on_answer);
        Checker {
            js,
            newest,
            _on_answer: on_answer,
        }
    }

    /// Ask for a check or a fix: sent when the worker is free, unless a
    /// newer request of the same kind comes first.
    pub fn send(&self, request: Request) {
        let settings = share::json_text(&share::settings_json(&request.settings));
        let id = self.js.send(
            request.kind.as_str(),
            &request.text.js(),
            &settings,
            request.lang.code(),
            request.listed,
        );
        let slot = request.kind as usize;
        self.newest.borrow_mut()[slot] = Some((id, request));
    }
}
