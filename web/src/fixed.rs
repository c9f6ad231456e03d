//! The fixed manifest: what `fix_text` makes of the editor's text, as text
//! or as a diff, with "apply to editor", "copy", "download" and the unsafe
//! fixes toggle.
//!
//! Test hooks (web/README.md): `data-action="apply-fix"`,
//! `data-action="copy-fixed"`, `data-action="toggle-unsafe"`.

use std::rc::Rc;

use kube_immutable_core::{Applicability, Settings, Severity};
use yew::prelude::*;

use crate::browser;
use crate::checker::{self, CheckRef};
use crate::diff::{self, Line};
use crate::i18n::{Lang, Texts};
use crate::store::Notice;
use crate::widgets::button;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: CheckRef,
    pub settings: Rc<Settings>,
    pub lang: Lang,
    pub on_apply: Callback<Rc<str>>,
    pub on_unsafe: Callback<bool>,
    pub on_notice: Callback<Option<Notice>>,
}

#[component]
pub fn FixedPanel(props: &Props) -> Html {
    let texts = props.lang.texts();
    let code = props.lang.code();
    let unsafe_fixes = props.settings.unsafe_fixes;
    let show_diff = use_state(|| false);
    // Fixing re-checks the text a few times: only when this panel shows,
    // and once per text, settings and toggle.
    let fixed = use_memo(
        (props.checked.text.clone(), props.settings.clone()),
        |(text, settings)| checker::fix(text, settings, settings.unsafe_fixes),
    );
    let output: Rc<str> = fixed.text.as_str().into();
    let changed = *output != *props.checked.text;

    let toggle = {
        let on_unsafe = props.on_unsafe.clone();
        Callback::from(move |_: Event| on_unsafe.emit(!unsafe_fixes))
    };
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
    let json = props
        .checked
        .text
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

    let remaining = &fixed.remaining;
    let count = |s| {
        remaining
            .findings
            .iter()
            .filter(|f| f.severity == s)
            .count()
    };
    let summary = if fixed.applied.is_empty() {
        html! { <p class="muted">{ texts.nothing_to_fix }</p> }
    } else {
        html! {
            <details class="applied">
                <summary>{ format!("{} ({})", texts.fixes_applied, fixed.applied.len()) }</summary>
                <ul>
                    { for fixed.applied.iter().map(|a| html! {
                        <li>
                            <code>{ a.rule }</code>{ " " }
                            { crate::findings::rich(a.title.get(code)) }
                            if a.applicability == Applicability::Unsafe {
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
            <div class="fix-options">
                <label class="toggle">
                    <input type="checkbox" checked={unsafe_fixes} onchange={toggle} data-action="toggle-unsafe" />
                    { texts.unsafe_toggle }
                </label>
                <p class="explain">{ texts.unsafe_explained }</p>
            </div>
            { summary }
            <p class="remaining" data-remaining-errors={count(Severity::Error).to_string()}>
                { format!(
                    "{}{}{} · {}",
                    texts.left_after_fixing,
                    texts.colon,
                    texts.errors(count(Severity::Error)),
                    texts.warnings(count(Severity::Warning)),
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
                { diff_view(&props.checked.text, &output, texts) }
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
