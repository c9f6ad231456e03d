//! The findings panel: input errors, then findings grouped by object and
//! container. Each finding opens to its rule's docs; clicking its summary
//! moves the editor's cursor to it.
//!
//! Test hooks (web/README.md): `data-finding`, `data-rule`, `data-severity`,
//! `data-line`, `data-column`, `data-object`, `data-container` on each
//! finding; `data-input-error` and `data-line` on each input error.

use std::rc::Rc;

use kube_immutable_core::{rules, Applicability, Severity};
use web_sys::HtmlDetailsElement;
use yew::prelude::*;

use crate::checker::{Listing, Range, Row};
use crate::i18n::{Lang, Texts};
use crate::js;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Shared with the last check when it lists the same: no redraw.
    pub listing: Rc<Listing>,
    pub lang: Lang,
    /// Select a range in the editor.
    pub on_select: Callback<Range>,
    /// List them all (the total number of findings).
    pub on_show_all: Callback<usize>,
}

/// The core's messages quote fields and values between backticks: show
/// those as code.
pub fn rich(text: &str) -> Html {
    html! {
        { for text.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
            html! { <code>{ part }</code> }
        } else {
            html! { { part } }
        }) }
    }
}

fn position(texts: &Texts, line: usize, column: usize) -> String {
    format!("{} {line}, {} {column}", texts.line, texts.column)
}

/// Select the range in the editor.
fn selector(on_select: &Callback<Range>, range: Range) -> Callback<MouseEvent> {
    on_select.reform(move |_: MouseEvent| range)
}

#[component]
pub fn FindingsPanel(props: &Props) -> Html {
    let texts = props.lang.texts();
    let checked = &props.listing;

    let errors = (!checked.input_errors.is_empty()).then(|| html! {
        <section class="group input-errors">
            <h2>{ texts.input_errors }</h2>
            <ul>
                { for checked.input_errors.iter().map(|e| html! {
                    <li class={classes!("finding", format!("severity-{}", e.severity.as_str()))} data-input-error=""
                        data-severity={e.severity.as_str()}
                        data-line={e.line.to_string()}>
                        <button type="button" class="finding-head" onclick={selector(&props.on_select, e.range)}>
                            <span class={classes!("badge", format!("badge-{}", e.severity.as_str()))}>{ if e.severity == Severity::Error { texts.input_error } else { texts.input_warning } }</span>
                            <span></span>
                            <span class="where">{ position(texts, e.line, e.column) }</span>
                            <span class="message">{ rich(&e.message) }</span>
                        </button>
                    </li>
                }) }
            </ul>
        </section>
    });

    let none = (checked.findings == 0 && checked.input_errors.is_empty() && checked.objects > 0)
        .then(|| html! { <p class="muted">{ texts.no_findings }</p> });

    // A long report lists its first findings (whole objects; the worker
    // chose them) and the rest on demand: rendering thousands of entries
    // costs more than the check (a 1 MB manifest has ~2,400), and typing
    // must stay fluid. "Show them all" lists as many as there are then: a
    // larger manifest pasted later lists about that many, and its rest on
    // demand again.
    let hidden = checked.hidden;
    let more = (hidden > 0).then(|| {
        let total = checked.findings;
        let onclick = props.on_show_all.reform(move |_: MouseEvent| total);
        html! {
            <p class="more-findings" data-more-findings={hidden.to_string()}>
                { format!("{} {hidden} ", texts.more_findings) }
                <button type="button" data-action="show-all-findings" {onclick}>{ texts.show_all }</button>
            </p>
        }
    });
    let groups = checked.groups.iter().map(|g| {
        let namespace = g.namespace.as_ref().map(|ns| html! {
            <span class="muted">{ format!(" ({} {ns})", texts.namespace) }</span>
        });
        html! {
            <section class="group" data-object-group={g.object.clone()}>
                <h2>{ &g.object }{ for namespace }</h2>
                { for g.containers.iter().map(|c| html! {
                    <>
                        // The pod spec's pointer on hover: an object may hold
                        // several (a Ray cluster's head and worker groups).
                        <h3 title={c.pod.clone()}>{ c.container.as_ref().map_or_else(|| texts.pod_level.to_owned(), |name| format!("{} {name}", texts.container)) }</h3>
                        <ul>
                            { for c.findings.iter().map(|row| {
                                // Keyed by what the finding is about, so an opened one
                                // stays open while the text is edited around it.
                                html! {
                                    <FindingItem key={row.key.clone()} row={row.clone()}
                                        object={g.object.clone()} container={c.container.clone()}
                                        lang={props.lang} on_select={props.on_select.clone()} />
                                }
                            }) }
                        </ul>
                    </>
                }) }
            </section>
        }
    });

    html! {
        <div class="findings">
            { for errors }
            { for none }
            { for groups }
            { for more }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ItemProps {
    row: Row,
    /// `data-object` and `data-container`.
    object: String,
    container: Option<String>,
    lang: Lang,
    on_select: Callback<Range>,
}

/// One finding; its rule's docs are rendered only once it is opened.
#[component]
fn FindingItem(props: &ItemProps) -> Html {
    let open = use_state(|| false);
    // The rule's page, fetched once the finding is opened (js::rule_docs_html).
    let docs = use_state(|| None::<(&'static str, Lang, std::rc::Rc<str>)>);
    let f = &props.row;
    let rule = rules::by_id(&f.rule);
    {
        let docs = docs.clone();
        let id = rule.map(|r| r.id);
        use_effect_with((*open, id, props.lang), move |&(open, id, lang)| {
            if let (true, Some(id)) = (open, id) {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(html) = js::rule_docs_html(id, lang.code()).await {
                        docs.set(Some((id, lang, html)));
                    }
                });
            }
        });
    }
    let texts = props.lang.texts();
    let code = props.lang.code();
    let severity = f.severity.as_str();
    let severity_label = match f.severity {
        Severity::Error => texts.level_error,
        Severity::Warning => texts.level_warning,
    };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            open.set(e.target_unchecked_into::<HtmlDetailsElement>().open())
        })
    };
    let body = (*open).then(|| {
        let fix = match &f.fix {
            Some((applicability, title)) => {
                let (label, class) = match applicability {
                    Applicability::Safe => (texts.safe_fix, "badge-safe"),
                    Applicability::Unsafe => (texts.unsafe_fix, "badge-unsafe"),
                };
                html! {
                    <p class="fix"><span class={classes!("badge", class)}>{ label }</span>{ " " }{ rich(title) }</p>
                }
            }
            None => html! { <p class="fix muted">{ texts.no_fix }</p> },
        };
        let docs = (*docs)
            .as_ref()
            .filter(|(id, lang, _)| Some(*id) == rule.map(|r| r.id) && *lang == props.lang)
            .map(|(.., html)| Html::from_html_unchecked(AttrValue::Rc(html.clone())));
        html! {
            <div class="finding-body">
                <p class="help">{ rich(&f.help) }</p>
                { fix }
                <h4 class="docs-title">{ texts.why_and_how }</h4>
                <div class="rule-docs" lang={code} aria-busy={docs.is_none().to_string()}>{ for docs }</div>
                <p><a href={rule.map(|r| r.url_in(code)).unwrap_or_default()} target="_blank" rel="noopener">
                    { texts.rule_page }{ " — " }<code>{ f.rule.clone() }</code>
                </a></p>
            </div>
        }
    });
    html! {
        <li class={classes!("finding", format!("severity-{severity}"))}
            data-finding="" data-rule={f.rule.clone()} data-severity={severity}
            data-line={f.line.to_string()}
            data-column={f.column.to_string()}
            data-object={props.object.clone()}
            data-container={props.container.clone().unwrap_or_default()}>
            <details {ontoggle}>
                <summary onclick={selector(&props.on_select, f.range)}>
                    <span class={classes!("badge", format!("badge-{severity}"))}>{ severity_label }</span>
                    <code class="rule">{ f.rule.clone() }</code>
                    <span class="where">{ position(texts, f.line, f.column) }</span>
                    <span class="message">{ rich(&f.message) }</span>
                </summary>
                { for body }
            </details>
        </li>
    }
}
