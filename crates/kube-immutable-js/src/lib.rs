//! The npm package `kube-immutable`: the core's `check` and `fix` (and its
//! ValidatingAdmissionPolicy export) for JavaScript, through wasm-bindgen.
//!
//! Thin by design: arguments come in as JSON text (`JSON.stringify`),
//! [`wire`] decodes them, calls the core and encodes the result, which goes
//! back through `JSON.parse` as plain objects. `cargo xtask build-npm` turns
//! this crate into the package folder (`target/npm/`); the hand-written
//! entries, TypeScript declarations and the `<kube-immutable-check>` element
//! are in `js/`.
//!
//! What throws: bad settings or options (an `Error` whose message is the
//! core's), and a `source` that is not a string (a `TypeError`). Any text is
//! checked: broken YAML, hostile input and oversized input become input
//! errors in the result, never an exception or a trap.

pub mod wire;

/// Talc instead of the default dlmalloc: 3 KB less gzipped, which the
/// 150 KB budget needs.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use wasm_bindgen::prelude::*;

/// `check(source, settings?, options?)`: see `js/index.d.ts`.
#[wasm_bindgen(skip_typescript)]
pub fn check(source: JsValue, settings: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let source = text(&source)?;
    let settings = wire::settings(json(&settings, "settings")?.as_deref()).map_err(error)?;
    let options = Options::read(&options, wire::CHECK_OPTIONS)?;
    parse(wire::check(
        &source,
        &settings,
        wire::lang(options.lang.as_deref()),
    ))
}

/// `fix(source, options?)`: see `js/index.d.ts`.
#[wasm_bindgen(skip_typescript)]
pub fn fix(source: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let source = text(&source)?;
    let options = Options::read(&options, wire::FIX_OPTIONS)?;
    let settings =
        wire::settings(json(&options.settings, "settings")?.as_deref()).map_err(error)?;
    parse(wire::fix(
        &source,
        &settings,
        options.unsafe_fixes,
        wire::lang(options.lang.as_deref()),
    ))
}

/// `rules(options?)`: every rule with its default level and summary.
#[wasm_bindgen(skip_typescript)]
pub fn rules(options: JsValue) -> Result<JsValue, JsValue> {
    let options = Options::read(&options, wire::CHECK_OPTIONS)?;
    parse(wire::rules(wire::lang(options.lang.as_deref())))
}

/// `toValidatingAdmissionPolicy(settings?)`: the rules as
/// ValidatingAdmissionPolicies and bindings (one YAML stream), as
/// `kube-immutable export vap` prints them.
#[wasm_bindgen(js_name = toValidatingAdmissionPolicy, skip_typescript)]
pub fn to_validating_admission_policy(settings: JsValue) -> Result<String, JsValue> {
    let settings = wire::settings(json(&settings, "settings")?.as_deref()).map_err(error)?;
    wire::validating_admission_policy(&settings).map_err(error)
}

/// `version()`: the version of the rules and the fixer.
#[wasm_bindgen(skip_typescript)]
pub fn version() -> String {
    kube_immutable_core::VERSION.to_owned()
}

/// The source text; anything but a string is the caller's mistake.
fn text(source: &JsValue) -> Result<String, JsValue> {
    source
        .as_string()
        .ok_or_else(|| js_sys::TypeError::new("kube-immutable: `source` must be a string").into())
}

/// The options object, read property by property (no JSON round trip, so
/// no second deserializer in the wasm). Unknown keys and wrong types are
/// refused, as the core refuses them in settings.
#[derive(Default)]
struct Options {
    lang: Option<String>,
    unsafe_fixes: bool,
    settings: JsValue,
}

impl Options {
    fn read(value: &JsValue, allowed: &[&str]) -> Result<Self, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Self::default());
        }
        if !value.is_object() {
            return Err(error("invalid options: expected an object"));
        }
        let keys: Vec<String> = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>())
            .iter()
            .filter_map(|k| k.as_string())
            .collect();
        if let Some(message) = wire::unknown_option(&keys, allowed) {
            return Err(error(message));
        }
        let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key));
        let lang = get("lang")?;
        let unsafe_fixes = get("unsafeFixes")?;
        Ok(Self {
            lang: match (lang.is_undefined() || lang.is_null(), lang.as_string()) {
                (true, _) => None,
                (false, Some(code)) => Some(code),
                (false, None) => return Err(error("invalid options: `lang` must be a string")),
            },
            unsafe_fixes: match (
                unsafe_fixes.is_undefined() || unsafe_fixes.is_null(),
                unsafe_fixes.as_bool(),
            ) {
                (true, _) => false,
                (false, Some(b)) => b,
                (false, None) => {
                    return Err(error("invalid options: `unsafeFixes` must be a boolean"))
                }
            },
            settings: get("settings")?,
        })
    }
}

/// An argument as JSON text; `undefined` and `null` are `None` (the defaults).
fn json(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let text = js_sys::JSON::stringify(value).map_err(|e| {
        // A cycle or a BigInt: JSON.stringify's own words.
        let reason = js_sys::Error::from(e).message();
        error(format!("invalid {what}: {}", String::from(reason)))
    })?;
    // A function or a symbol stringifies to `undefined`.
    text.as_string()
        .map(Some)
        .ok_or_else(|| error(format!("invalid {what}: expected an object")))
}

fn parse(json: Result<String, String>) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&json.map_err(error)?)
}

fn error(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}
