//! The fixed manifest: what `fix_text` makes of the editor's text, as text
//! or as a diff, with "apply to editor", "copy", "download" and the unsafe
//! fixes toggle.
//!
//! Test hooks (web/README.md): `data-action="apply-fix"`,
//! `data-action="copy-fixed"`, `data-action="toggle-unsafe"`.

use std::rc::Rc;

use kube_immutable_core::{Applicability, Settings};
use yew::prelude::*;

use crate::browser;
use crate::checker::{CheckRef, FixedView};
use crate::diff::{self, Line};
use crate::i18n::{Lang, Texts};
use crate::store::Notice;
use crate::widgets::button;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: CheckRef,
    /// The fix of that check, once the worker has made it.
    pub fixed: Option<Rc<FixedView>>,
    /// The fix was stopped after that many ms (`Some(None)`: it failed).
    pub stopped: Option<Option<u32>>,
    /// The current settings (the toggle shows them at once).
    pub settings: Rc<Settings>,
    pub lang: Lang,
    pub on_apply: Callback<Rc<str>>,
    pub on_unsafe: Callback<bool>,
    pub on_notice: Callback<Option<Notice>>,
}

#[component]
pub fn FixedPanel(props: &Props) -> Html {
    let texts = props.lang.texts();
    let unsafe_fixes = props.settings.unsafe_fixes;
    let show_diff = use_state(|| false);
    let toggle = {
        let on_unsafe = props.on_unsafe.clone();
        Callback::from(move |_: Event| on_unsafe.emit(!unsafe_fixes))
    };
    let options = html! {
        <div class="fix-options">
            <label class="toggle">
                <input type="checkbox" checked={unsafe_fixes} onchange={toggle} data-action="toggle-unsafe" />
                { texts.unsafe_toggle }
            </label>
            <p class="explain">{ texts.unsafe_explained }</p>
        </div>
    };
    // Fixing re-checks the text a few times: the worker does it, only when
    // this panel shows, once per check.
    let Some(fixed) = &props.fixed else {
        let waiting = match props.stopped {
            Some(ms) => format!("{}. {}", texts.fix_stopped, texts.stopped(ms)),
            None => texts.fixing.to_owned(),
        };
        return html! {
            <div class="fixed">
                { options }
                <p class="muted" aria-busy={props.stopped.is_none().then_some("true")}>{ waiting }</p>
            </div>
        };
    };
    let output = fixed.text.clone();
    // Something applied: the text changed.
    let changed = !fixed.applied.is_empty();

    let apply = {
        let (on_apply, output) = (props.on_apply.clone(), output.clone());
        Callback::from(move |_: MouseEvent| on_apply.emit(output.clone()))
    };
    let copy = {
        let (on_notice, output) = (props.on_notice.clone(), output.clone());
        Callback::from(move |_: MouseEvent| {
            let on_notice = on_notice.clone();
            browser::copy(&output, move |ok| {
                on_notice.emit(Some(if ok {
                    Notice::Copied
                } else {
                    Notice::CopyFailed
                }));
            });
        })
    };
    let json = output
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '[']);
    let download = {
        let output = output.clone();
        Callback::from(move |_: MouseEvent| {
            if json {
                browser::download("fixed.json", &output, "application/json");
            } else {
                browser::download("fixed.yaml", &output, "application/yaml");
            }
        })
    };
    let view = |diff: bool| {
        let show_diff = show_diff.clone();
        Callback::from(move |_: MouseEvent| show_diff.set(diff))
    };

    let summary = if fixed.applied.is_empty() {
        html! { <p class="muted">{ texts.nothing_to_fix }</p> }
    } else {
        html! {
            <details class="applied">
                <summary>{ format!("{} ({})", texts.fixes_applied, fixed.applied.len()) }</summary>
                <ul>
                    { for fixed.applied.iter().map(|(rule, title, applicability)| html! {
                        <li>
                            <code>{ rule.clone() }</code>{ " " }
                            { crate::findings::rich(title) }
                            if *applicability == Applicability::Unsafe {
                                { " " }<span class="badge badge-unsafe">{ texts.unsafe_fix }</span>
                            }
                        </li>
                    }) }
                </ul>
            </details>
        }
    };

    html! {
        <div class="fixed">
            { options }
            { summary }
            <p class="remaining" data-remaining-errors={fixed.errors.to_string()}>
                { format!(
                    "{}{}{} · {}",
                    texts.left_after_fixing,
                    texts.colon,
                    texts.errors(fixed.errors),
                    texts.warnings(fixed.warnings),
                ) }
            </p>
            <div class="fix-actions">
                <button type="button" class="primary" onclick={apply} disabled={!changed} data-action="apply-fix">{ texts.apply }</button>
                { button("copy-fixed", texts.copy, copy) }
                { button("download-fixed", texts.download, download) }
                <span class="segmented" role="group">
                    <button type="button" aria-pressed={(!*show_diff).to_string()} onclick={view(false)} data-action="show-fixed">{ texts.fixed_view }</button>
                    <button type="button" aria-pressed={show_diff.to_string()} onclick={view(true)} data-action="show-diff">{ texts.diff_view }</button>
                </span>
            </div>
            if *show_diff {
                { diff_view(&props.checked.text.str(), &output, texts) }
            } else {
                <pre class="code fixed-text" tabindex="0" aria-label={texts.tab_fixed}>{ output.to_string() }</pre>
            }
        </div>
    }
}

/// A unified diff of the input and the fixed text, three lines of context.
fn diff_view(before: &str, after: &str, texts: &Texts) -> Html {
    let lines = diff::unified(before, after, 3);
    if lines.is_empty() {
        return html! { <p class="muted">{ texts.nothing_to_fix }</p> };
    }
    let line = |l: &Line<'_>| {
        let (class, text) = match *l {
            Line::Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
            } => (
                "diff-hunk",
                format!("@@ -{old_start},{old_len} +{new_start},{new_len} @@\n"),
            ),
            Line::Same(t) => ("diff-ctx", format!(" {t}")),
            Line::Removed(t) => ("diff-del", format!("-{t}")),
            Line::Added(t) => ("diff-add", format!("+{t}")),
        };
        let text = if text.ends_with('\n') {
            text
        } else {
            format!("{text}\n")
        };
        html! { <span class={class}>{ text }</span> }
    };
    html! { <pre class="code diff" tabindex="0" aria-label={texts.diff_view}>{ for lines.iter().map(line) }</pre> }
}
