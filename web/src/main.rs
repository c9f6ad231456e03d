//! The kube-immutable playground: paste a manifest, see what makes it
//! mutable, get it fixed, in the browser. The core does all the checking and
//! fixing (`checker`); this crate only renders.
//!
//! Built by Trunk from `Trunk.toml` at the repository root; see
//! `web/README.md` for the test hooks and the share link format.

mod app;
mod browser;
mod checker;
mod diff;
mod examples;
mod export;
mod findings;
mod fixed;
mod i18n;
mod js;
mod settings_panel;
mod share;
mod store;
mod widgets;
mod worker;

/// Talc instead of the default dlmalloc: 3 KB less gzipped (README, "The
/// playground").
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// In the page, render the app; in the checker worker (the same wasm,
/// `web/worker.js`), do nothing: it calls the exported entries of
/// [`worker`].
fn main() {
    if web_sys::window().is_some() {
        yew::Renderer::<app::App>::new().render();
    }
}
