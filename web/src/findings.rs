//! The findings panel: input errors, then findings grouped by object and
//! container. Each finding opens to its rule's docs; clicking its summary
//! moves the editor's cursor to it.
//!
//! Test hooks (web/README.md): `data-finding`, `data-rule`, `data-severity`,
//! `data-line`, `data-column`, `data-object`, `data-container` on each
//! finding; `data-input-error` and `data-line` on each input error.

use kube_immutable_core::{rules, Applicability, Position, Severity};
use web_sys::HtmlDetailsElement;
use yew::prelude::*;

use crate::checker::{object_label, CheckRef};
use crate::i18n::{Lang, Texts};
use crate::js;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: CheckRef,
    pub lang: Lang,
    /// Select a UTF-16 range in the editor.
    pub on_select: Callback<(usize, usize)>,
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

fn position(texts: &Texts, at: Option<Position>) -> String {
    let (line, column) = at.map_or((0, 0), |p| (p.line, p.column));
    format!("{} {line}, {} {column}", texts.line, texts.column)
}

/// Select the range in the editor.
fn selector(
    on_select: &Callback<(usize, usize)>,
    start: Option<Position>,
    end: Option<Position>,
) -> Callback<MouseEvent> {
    let range = start.map(|s| {
        (
            s.utf16_offset,
            end.map_or(s.utf16_offset, |e| e.utf16_offset),
        )
    });
    on_select.reform(move |_: MouseEvent| range.unwrap_or_default())
}

/// How many findings a long report lists before "Show them all" (whole
/// objects: a little more when an object straddles the limit).
const FIRST_FINDINGS: usize = 200;

#[component]
pub fn FindingsPanel(props: &Props) -> Html {
    let texts = props.lang.texts();
    let report = &props.checked.report;
    let code = props.lang.code();

    let errors = (!report.errors.is_empty()).then(|| html! {
        <section class="group input-errors">
            <h2>{ texts.input_errors }</h2>
            <ul>
                { for report.errors.iter().map(|e| html! {
                    <li class={classes!("finding", format!("severity-{}", e.severity.as_str()))} data-input-error=""
                        data-severity={e.severity.as_str()}
                        data-line={e.start.map_or(0, |p| p.line).to_string()}>
                        <button type="button" class="finding-head" onclick={selector(&props.on_select, e.start, e.end)}>
                            <span class={classes!("badge", format!("badge-{}", e.severity.as_str()))}>{ if e.is_error() { texts.input_error } else { texts.input_warning } }</span>
                            <span></span>
                            <span class="where">{ position(texts, e.start) }</span>
                            <span class="message">{ rich(e.message.get(code)) }</span>
                        </button>
                    </li>
                }) }
            </ul>
        </section>
    });

    let none = (report.findings.is_empty() && report.errors.is_empty() && report.objects > 0)
        .then(|| html! { <p class="muted">{ texts.no_findings }</p> });

    // A long report lists its first findings at once and the rest on
    // demand: rendering thousands of entries costs more than the check
    // (a 1 MB manifest has ~2,400), and typing must stay fluid.
    // "Show them all" lists as many as there are then: a larger manifest
    // pasted later lists about that many, and its rest on demand again.
    let listed = use_state(|| FIRST_FINDINGS);
    let total = report.findings.len();
    let mut budget = *listed;
    let mut hidden = 0;
    let mut shown = Vec::new();
    for g in &props.checked.groups {
        let size: usize = g.containers.iter().map(|c| c.findings.len()).sum();
        if budget == 0 {
            hidden += size;
        } else {
            // Whole objects only, so a group is never cut in half.
            budget = budget.saturating_sub(size);
            shown.push(g);
        }
    }
    let more = (hidden > 0).then(|| {
        let onclick = {
            let listed = listed.clone();
            Callback::from(move |_: MouseEvent| listed.set(total.max(FIRST_FINDINGS)))
        };
        html! {
            <p class="more-findings" data-more-findings={hidden.to_string()}>
                { format!("{} {hidden} ", texts.more_findings) }
                <button type="button" data-action="show-all-findings" {onclick}>{ texts.show_all }</button>
            </p>
        }
    });
    let groups = shown.into_iter().map(|g| {
        let namespace = g.namespace.as_ref().map(|ns| html! {
            <span class="muted">{ format!(" ({} {ns})", texts.namespace) }</span>
        });
        html! {
            <section class="group" data-object-group={g.object.clone()}>
                <h2>{ &g.object }{ for namespace }</h2>
                { for g.containers.iter().map(|c| html! {
                    <>
                        <h3>{ c.container.as_ref().map_or_else(|| texts.pod_level.to_owned(), |name| format!("{} {name}", texts.container)) }</h3>
                        <ul>
                            { for c.findings.iter().map(|&index| {
                                // Keyed by what the finding is about, so an opened one
                                // stays open while the text is edited around it.
                                let f = &report.findings[index];
                                let key = format!("{}{}{}", f.object.document, f.rule, f.pointer);
                                html! {
                                    <FindingItem {key} checked={props.checked.clone()} {index}
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
    checked: CheckRef,
    /// Index into the report's findings.
    index: usize,
    lang: Lang,
    on_select: Callback<(usize, usize)>,
}

/// One finding; its rule's docs are rendered only once it is opened.
#[component]
fn FindingItem(props: &ItemProps) -> Html {
    let open = use_state(|| false);
    // The rule's page, fetched once the finding is opened (js::rule_docs_html).
    let docs = use_state(|| None::<(&'static str, Lang, std::rc::Rc<str>)>);
    let rule = props
        .checked
        .report
        .findings
        .get(props.index)
        .and_then(|f| rules::by_id(f.rule));
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
    let Some(f) = props.checked.report.findings.get(props.index) else {
        return Html::default();
    };
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
            Some(fix) => {
                let (label, class) = match fix.applicability {
                    Applicability::Safe => (texts.safe_fix, "badge-safe"),
                    Applicability::Unsafe => (texts.unsafe_fix, "badge-unsafe"),
                };
                html! {
                    <p class="fix"><span class={classes!("badge", class)}>{ label }</span>{ " " }{ rich(fix.title.get(code)) }</p>
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
                <p class="help">{ rich(f.help.get(code)) }</p>
                { fix }
                <h4 class="docs-title">{ texts.why_and_how }</h4>
                <div class="rule-docs" lang={code} aria-busy={docs.is_none().to_string()}>{ for docs }</div>
                <p><a href={rule.map(|r| r.url_in(code)).unwrap_or_default()} target="_blank" rel="noopener">
                    { texts.rule_page }{ " — " }<code>{ f.rule }</code>
                </a></p>
            </div>
        }
    });
    html! {
        <li class={classes!("finding", format!("severity-{severity}"))}
            data-finding="" data-rule={f.rule} data-severity={severity}
            data-line={f.start.map_or(0, |p| p.line).to_string()}
            data-column={f.start.map_or(0, |p| p.column).to_string()}
            data-object={object_label(&f.object.kind, f.object.name.as_deref())}
            data-container={f.container.clone().unwrap_or_default()}>
            <details {ontoggle}>
                <summary onclick={selector(&props.on_select, f.start, f.end)}>
                    <span class={classes!("badge", format!("badge-{severity}"))}>{ severity_label }</span>
                    <code class="rule">{ f.rule }</code>
                    <span class="where">{ position(texts, f.start) }</span>
                    <span class="message">{ rich(f.message.get(code)) }</span>
                </summary>
                { for body }
            </details>
        </li>
    }
}
