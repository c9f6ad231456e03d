//! The page: header, editor, verdict and the three panels, and the
//! controller that ties the editor to the core (debounced checks, markers,
//! share link and local storage).

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use kube_immutable_core::{Settings, Severity};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::browser;
use crate::checker::{CheckRef, Checked, FixedView, Text, Verdict};
use crate::examples::{self, EXAMPLES};
use crate::findings::FindingsPanel;
use crate::fixed::FixedPanel;
use crate::i18n::Lang;
use crate::js::{self, Editor};
use crate::settings_panel::SettingsPanel;
use crate::share::{self, Shared};
use crate::store::{Action, Notice, State, Tab, Theme};
use crate::widgets::{button, options};
use crate::worker::{self, Answer, Checker, Kind, Request};

/// Quiet time after a keystroke before checking.
const DEBOUNCE_MS: u32 = 150;
/// A check of a longer text says "Checking…" (`aria-busy`) while it runs.
const BUSY_BYTES: usize = 64 * 1024;
/// How many findings a long report lists before "Show them all" (whole
/// objects: a little more when an object straddles the limit).
const FIRST_FINDINGS: usize = 200;
/// The fragment and local storage are updated at most this often (Safari
/// limits history updates).
const PERSIST_MS: u32 = 750;
/// Larger manifests are not written to the fragment and local storage as
/// you type (compressing and storing a megabyte every 750 ms would be felt
/// while typing); the share button still makes a link for them.
const MAX_AUTO_PERSIST_BYTES: usize = 256 * 1024;
/// Larger manifests get no share link (the URL would pass 200 KB).
const MAX_SHARE_BYTES: usize = 2 * 1024 * 1024;

const STORAGE_KEY: &str = "kube-immutable.playground.v1";
const PREFS_KEY: &str = "kube-immutable.playground.prefs";

/// Preferences and layout, known before anything else.
struct Boot {
    lang: Lang,
    theme: Theme,
    embed: bool,
}

fn boot() -> Boot {
    let prefs: serde_json::Value = browser::load(PREFS_KEY)
        .and_then(|p| share::json_value(&p).ok())
        .unwrap_or_default();
    let lang = browser::query("lang")
        .or_else(|| prefs["lang"].as_str().map(str::to_owned))
        .map_or_else(
            || Lang::from_code(&browser::browser_language()),
            |l| Lang::from_code(&l),
        );
    Boot {
        lang,
        theme: Theme::parse(prefs["theme"].as_str().unwrap_or("auto")),
        embed: browser::query("embed").is_some_and(|v| v == "1" || v == "true"),
    }
}

/// The first content: a share link wins, then what was stored, then the
/// tutorial's pod. A link that does not decode says why.
async fn initial_content() -> (Shared, Option<Notice>) {
    let example = || Shared {
        manifest: examples::default_text().to_owned(),
        settings: Settings::default(),
    };
    let linked = js::share_payload(&browser::fragment())
        .await
        .and_then(|json| json.map(|j| share::read_payload(&j)).transpose());
    match linked {
        Ok(Some(shared)) => (shared, None),
        Err(why) => (example(), Some(Notice::BadLink(why))),
        Ok(None) => {
            let stored = browser::load(STORAGE_KEY).and_then(|s| share::read_payload(&s).ok());
            (stored.unwrap_or_else(example), None)
        }
    }
}

/// What callbacks and timers share: the editor, the current settings and
/// language, the checker worker and the pending timers.
struct Controller {
    editor: Option<Editor>,
    settings: Rc<Settings>,
    /// The settings of the last check.
    checked_with: Option<Rc<Settings>>,
    lang: Lang,
    tab: Tab,
    dispatch: Option<UseReducerDispatcher<State>>,
    last: Option<CheckRef>,
    debounce: Option<Timeout>,
    persist: Option<Timeout>,
    /// The fragment this page wrote last (a different one came from outside).
    fragment: String,
    /// The core, in a worker (started with the editor).
    checker: Option<Checker>,
    /// About how many findings the panel lists ("Show them all" raises it).
    listed: usize,
    /// The check whose fixed text was last asked for.
    fix_asked: Option<CheckRef>,
}

type Ctl = Rc<RefCell<Controller>>;

/// Check the editor's text now. The worker answers with the findings and
/// markers ([`on_answer`]); a keystroke meanwhile makes that answer
/// outdated, and it is dropped.
fn check_now(ctl: &Ctl) {
    let mut c = ctl.borrow_mut();
    c.debounce = None;
    let (Some(editor), Some(checker)) = (&c.editor, &c.checker) else {
        return;
    };
    let text = Text::from_js(editor.text());
    let long = !text.fits(BUSY_BYTES);
    checker.send(Request {
        kind: Kind::Check,
        text,
        settings: c.settings.clone(),
        lang: c.lang,
        listed: c.listed,
        start: browser::now(),
    });
    if let (true, Some(dispatch)) = (long, &c.dispatch) {
        dispatch.dispatch(Action::Checking);
    }
}

/// Ask for the fixed text of the last check, if the fixed manifest shows
/// and it was not asked for yet.
fn fix_if_shown(ctl: &Ctl) {
    let mut c = ctl.borrow_mut();
    let Some(last) = c.last.clone() else { return };
    if c.tab != Tab::Fixed || c.fix_asked.as_ref() == Some(&last) {
        return;
    }
    c.fix_asked = Some(last.clone());
    let Some(checker) = &c.checker else { return };
    checker.send(Request {
        kind: Kind::Fix,
        text: last.text.clone(),
        settings: last.settings.clone(),
        lang: last.lang,
        listed: 0,
        start: browser::now(),
    });
}

/// What the worker answered (only ever for the newest request of its kind).
fn on_answer(ctl: &Ctl, answer: Answer) {
    let c = ctl.borrow();
    let Some(dispatch) = c.dispatch.clone() else {
        return;
    };
    match answer {
        Answer::Checked(request, view, markers) => {
            let mut checked = Checked::read(request.text, request.settings, request.lang, &view);
            if let Some(last) = &c.last {
                checked.keep_listing(last);
            }
            if let Some(editor) = &c.editor {
                editor.set_markers(&markers);
            }
            checked.ms = browser::now() - request.start;
            let checked = CheckRef(Rc::new(checked));
            drop(c);
            {
                let mut c = ctl.borrow_mut();
                c.checked_with = Some(checked.settings.clone());
                c.last = Some(checked.clone());
            }
            // The verdict and findings on the next task: the editor's
            // markers and the panel are two shorter tasks, not one long one.
            Timeout::new(0, move || dispatch.dispatch(Action::Checked(checked))).forget();
            schedule_persist(ctl);
            fix_if_shown(ctl);
        }
        Answer::Fixed(request, text, summary) => {
            let fixed =
                FixedView::read(request.text, request.settings, request.lang, text, &summary);
            dispatch.dispatch(Action::Fixed(Rc::new(fixed)));
        }
        Answer::Stopped(request, ms) => {
            // The markers were another text's.
            if let Some(editor) = &c.editor {
                editor.set_markers(&JsValue::from_str("[]"));
            }
            dispatch.dispatch(Action::Stopped(request.kind, ms));
        }
    }
}

fn schedule_check(ctl: &Ctl) {
    let again = ctl.clone();
    ctl.borrow_mut().debounce = Some(Timeout::new(DEBOUNCE_MS, move || check_now(&again)));
}

fn schedule_persist(ctl: &Ctl) {
    if ctl.borrow().persist.is_some() {
        return; // the pending update will read the latest state
    }
    let again = ctl.clone();
    ctl.borrow_mut().persist = Some(Timeout::new(PERSIST_MS, move || persist(&again)));
}

/// Write the share link into the fragment, and local storage.
fn persist(ctl: &Ctl) {
    let mut c = ctl.borrow_mut();
    c.persist = None;
    let Some(last) = c.last.clone() else { return };
    if !last.text.fits(MAX_AUTO_PERSIST_BYTES) {
        // Neither an old link nor an old manifest may pass for this one.
        if !c.fragment.is_empty() {
            browser::replace_fragment("");
            c.fragment.clear();
        }
        browser::remove(STORAGE_KEY);
        return;
    }
    let json = share::payload(&last.text.str(), &c.settings);
    browser::save(STORAGE_KEY, &json);
    let ctl = ctl.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let Some(fragment) = js::share_fragment(&json).await else {
            return;
        };
        let mut c = ctl.borrow_mut();
        if fragment != c.fragment {
            browser::replace_fragment(&fragment);
            c.fragment = fragment;
        }
    });
}

/// Replace the editor's text and check it at once.
fn load_text(ctl: &Ctl, text: &str) {
    if let Some(editor) = &ctl.borrow().editor {
        editor.set_text(text);
    }
    check_now(ctl);
}

fn save_prefs(lang: Lang, theme: Theme) {
    let prefs = serde_json::json!({ "lang": lang.code(), "theme": theme.as_str() });
    browser::save(PREFS_KEY, &crate::share::json_text(&prefs));
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let b = boot();
        State {
            lang: b.lang,
            theme: b.theme,
            settings: Rc::default(),
            checked: None,
            checking: false,
            fixed: None,
            stopped: None,
            tab: Tab::Findings,
            notice: None,
            embed: b.embed,
        }
    });
    let ctl: Ctl = use_mut_ref(|| Controller {
        editor: None,
        settings: Rc::new(Settings::default()),
        checked_with: None,
        lang: Lang::En,
        tab: Tab::Findings,
        dispatch: None,
        last: None,
        debounce: None,
        persist: None,
        fragment: browser::fragment(),
        checker: None,
        listed: FIRST_FINDINGS,
        fix_asked: None,
    });
    {
        let mut c = ctl.borrow_mut();
        c.settings = state.settings.clone();
        c.lang = state.lang;
        c.tab = state.tab;
        c.dispatch = Some(state.dispatcher());
    }
    let editor_ref = use_node_ref();
    let texts = state.lang.texts();

    // Create the editor once, with the first content, and check it.
    {
        let ctl = ctl.clone();
        let editor_ref = editor_ref.clone();
        let label = texts.editor_label;
        use_effect_with((), move |_| {
            // The worker loads while the first content is decoded.
            let weak = Rc::downgrade(&ctl);
            let timeout = browser::query("check-timeout")
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(worker::TIMEOUT_MS);
            ctl.borrow_mut().checker = Some(Checker::start(timeout, move |answer| {
                if let Some(ctl) = weak.upgrade() {
                    on_answer(&ctl, answer);
                }
            }));
            let setup = ctl.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let (first, notice) = initial_content().await;
                let Some(parent) = editor_ref.cast::<HtmlElement>() else {
                    return;
                };
                let (on_change, on_run) = (setup.clone(), setup.clone());
                let editor = Editor::new(
                    &parent,
                    &first.manifest,
                    label,
                    move || schedule_check(&on_change),
                    move || check_now(&on_run),
                );
                let settings = Rc::new(first.settings);
                let dispatch = {
                    let mut c = setup.borrow_mut();
                    c.editor = Some(editor);
                    c.settings = settings.clone();
                    c.dispatch.clone()
                };
                if let Some(dispatch) = dispatch {
                    dispatch.dispatch(Action::Settings(Box::new((*settings).clone())));
                    dispatch.dispatch(Action::Notice(notice));
                }
                check_now(&setup);
            });
            browser::register_service_worker();
            move || {
                ctl.borrow_mut().editor = None;
            }
        });
    }

    // Settings changed: check again.
    {
        let ctl = ctl.clone();
        use_effect_with(state.settings.clone(), move |settings| {
            let stale = ctl
                .borrow()
                .checked_with
                .as_ref()
                .is_some_and(|with| **with != **settings);
            if stale {
                check_now(&ctl);
            }
        });
    }

    // Language: editor label, <html lang>, title; the findings and
    // markers come again from the worker in that language.
    {
        let ctl = ctl.clone();
        use_effect_with(state.lang, move |lang| {
            browser::set_root_attribute("lang", Some(lang.code()));
            browser::set_title(lang.texts().title);
            let c = ctl.borrow();
            if let Some(editor) = &c.editor {
                editor.set_label(lang.texts().editor_label);
            }
            let stale = c.last.as_ref().is_some_and(|last| last.lang != *lang);
            drop(c);
            if stale {
                check_now(&ctl);
            }
        });
    }

    // Theme: `data-theme` on <html> (absent: follow the system).
    use_effect_with(state.theme, |theme| {
        let value = match theme {
            Theme::Auto => None,
            other => Some(other.as_str()),
        };
        browser::set_root_attribute("data-theme", value);
    });

    // A share link pasted into the address bar of an open page.
    {
        let ctl = ctl.clone();
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                    let fragment = browser::fragment();
                    if fragment == ctl.borrow().fragment {
                        return;
                    }
                    ctl.borrow_mut().fragment = fragment.clone();
                    let (ctl, dispatch) = (ctl.clone(), dispatch.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        let linked = js::share_payload(&fragment)
                            .await
                            .and_then(|json| json.map(|j| share::read_payload(&j)).transpose());
                        match linked {
                            Ok(Some(shared)) => {
                                ctl.borrow_mut().settings = Rc::new(shared.settings.clone());
                                dispatch.dispatch(Action::Settings(Box::new(shared.settings)));
                                load_text(&ctl, &shared.manifest);
                            }
                            Ok(None) => {}
                            Err(why) => {
                                dispatch.dispatch(Action::Notice(Some(Notice::BadLink(why))))
                            }
                        }
                    });
                });
            move || drop(listener)
        });
    }

    // Ctrl/Cmd+Enter anywhere checks now (the editor has its own binding).
    {
        let ctl = ctl.clone();
        use_effect_with((), move |_| {
            let listener = gloo::events::EventListener::new(
                &gloo::utils::document(),
                "keydown",
                move |event| {
                    if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
                        if key.key() == "Enter" && (key.ctrl_key() || key.meta_key()) {
                            key.prevent_default();
                            check_now(&ctl);
                        }
                    }
                },
            );
            move || drop(listener)
        });
    }

    let dispatch = state.dispatcher();
    let on_example = {
        let ctl = ctl.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            match examples::by_id(&select.value()) {
                Some(e) if e.id == EXAMPLES[0].id => load_text(&ctl, examples::default_text()),
                Some(e) => {
                    let ctl = ctl.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(text) = js::example_text(e.file).await {
                            load_text(&ctl, &text);
                        }
                    });
                }
                None => {}
            }
            select.set_value("");
        })
    };
    let on_reset = {
        let ctl = ctl.clone();
        Callback::from(move |_| {
            browser::remove(STORAGE_KEY);
            load_text(&ctl, examples::default_text());
        })
    };
    let on_lang = {
        let (dispatch, theme) = (dispatch.clone(), state.theme);
        Callback::from(move |e: Event| {
            let lang = Lang::from_code(&e.target_unchecked_into::<HtmlSelectElement>().value());
            save_prefs(lang, theme);
            dispatch.dispatch(Action::Lang(lang));
        })
    };
    let on_theme = {
        let (dispatch, lang) = (dispatch.clone(), state.lang);
        Callback::from(move |e: Event| {
            let theme = Theme::parse(&e.target_unchecked_into::<HtmlSelectElement>().value());
            save_prefs(lang, theme);
            dispatch.dispatch(Action::Theme(theme));
        })
    };
    let on_share = {
        let (ctl, dispatch) = (ctl.clone(), dispatch.clone());
        Callback::from(move |_| {
            let c = ctl.borrow();
            let Some(last) = &c.last else { return };
            if !last.text.fits(MAX_SHARE_BYTES) {
                dispatch.dispatch(Action::Notice(Some(Notice::LinkTooLarge)));
                return;
            }
            let json = share::payload(&last.text.str(), &c.settings);
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(fragment) = js::share_fragment(&json).await else {
                    return;
                };
                browser::copy(&browser::url_with_fragment(&fragment), move |ok| {
                    let notice = if ok {
                        Notice::LinkCopied
                    } else {
                        Notice::CopyFailed
                    };
                    dispatch.dispatch(Action::Notice(Some(notice)));
                });
            });
        })
    };
    // The findings panel's callbacks stay the same from one render to the
    // next: new ones would draw the panel again after every check.
    let on_select = {
        let ctl = ctl.clone();
        use_callback((), move |range: crate::checker::Range, _| {
            if let Some(editor) = &ctl.borrow().editor {
                editor.select(range);
            }
        })
    };
    let on_goto = {
        let ctl = ctl.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(form) = e.target_dyn_into::<web_sys::HtmlFormElement>() else {
                return;
            };
            let input = form
                .elements()
                .named_item("line")
                .and_then(|el| el.dyn_into::<HtmlInputElement>().ok());
            let line = input.and_then(|i| i.value().trim().parse::<usize>().ok());
            if let (Some(line), Some(editor)) = (line, &ctl.borrow().editor) {
                editor.go_to_line(line);
            }
        })
    };
    let on_check = {
        let ctl = ctl.clone();
        Callback::from(move |_| check_now(&ctl))
    };
    let on_show_all = {
        let ctl = ctl.clone();
        use_callback((), move |total: usize, _| {
            ctl.borrow_mut().listed = total.max(FIRST_FINDINGS);
            check_now(&ctl);
        })
    };
    let on_apply = {
        let ctl = ctl.clone();
        Callback::from(move |text: Rc<str>| load_text(&ctl, &text))
    };
    let on_tab = |tab: Tab| {
        let (ctl, dispatch) = (ctl.clone(), dispatch.clone());
        Callback::from(move |_| {
            dispatch.dispatch(Action::Tab(tab));
            ctl.borrow_mut().tab = tab;
            // The fixed manifest shows: ask the worker for it.
            fix_if_shown(&ctl);
        })
    };
    let on_settings = {
        let dispatch = dispatch.clone();
        Callback::from(move |s: Settings| dispatch.dispatch(Action::Settings(Box::new(s))))
    };
    let on_unsafe = {
        let dispatch = dispatch.clone();
        Callback::from(move |on: bool| dispatch.dispatch(Action::UnsafeFixes(on)))
    };
    let on_notice = {
        let dispatch = dispatch.clone();
        Callback::from(move |n: Option<Notice>| dispatch.dispatch(Action::Notice(n)))
    };
    let dismiss = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| dispatch.dispatch(Action::Notice(None)))
    };

    let notice = state.notice.as_ref().map(|n| {
        let text = match n {
            Notice::BadLink(why) => format!("{} ({why}).", texts.bad_link),
            Notice::LinkCopied => texts.share_copied.to_owned(),
            Notice::LinkTooLarge => texts.share_too_large.to_owned(),
            Notice::Copied => texts.copied.to_owned(),
            Notice::CopyFailed => texts.copy_failed.to_owned(),
        };
        let class = classes!("notice", n.is_error().then_some("notice-error"));
        let role = if n.is_error() { "alert" } else { "status" };
        html! {
            <div class={class} role={role} data-notice="">
                <span>{ text }</span>
                <button type="button" class="link" onclick={dismiss.clone()}>{ texts.dismiss }</button>
            </div>
        }
    });

    let examples_menu = html! {
        <select onchange={on_example} data-action="examples">
            <option value="" selected=true>{ texts.examples_placeholder }</option>
            { for EXAMPLES.iter().map(|e| html! {
                <option value={e.id}>{ e.title(state.lang) }</option>
            }) }
        </select>
    };
    let header = (!state.embed).then(|| html! {
        <header class="top">
            <div class="brand">
                <h1>{ texts.title }</h1>
                <p class="tagline">{ texts.tagline }</p>
            </div>
            <div class="controls">
                <label>
                    <span class="label">{ texts.examples }</span>
                    { examples_menu.clone() }
                </label>
                <label>
                    <span class="label">{ texts.language }</span>
                    <select onchange={on_lang} data-action="language">
                        { options(&[("en", "English"), ("fr", "Français")], state.lang.code()) }
                    </select>
                </label>
                <label>
                    <span class="label">{ texts.theme }</span>
                    <select onchange={on_theme} data-action="theme">
                        { options(&[("auto", texts.theme_auto), ("light", texts.theme_light), ("dark", texts.theme_dark)], state.theme.as_str()) }
                    </select>
                </label>
                { button("share", texts.share, on_share) }
                { button("reset", texts.reset, on_reset) }
            </div>
        </header>
    });

    let embed_bar = state.embed.then(|| html! {
        <div class="embed-bar">
            <label>
                <span class="visually-hidden">{ texts.examples }</span>
                { examples_menu }
            </label>
            <a href={browser::full_playground_url()} target="_blank" rel="noopener" data-action="open-full">
                { texts.open_full }
            </a>
        </div>
    });

    let verdict = verdict_view(&state);
    let tab_button = |tab: Tab, label: String| {
        let selected = state.tab == tab;
        let id = match tab {
            Tab::Findings => "tab-findings",
            Tab::Fixed => "tab-fixed",
            Tab::Settings => "tab-settings",
        };
        html! {
            <button type="button" role="tab" id={id} aria-selected={selected.to_string()}
                aria-controls="panel" class={classes!("tab", selected.then_some("selected"))}
                onclick={on_tab(tab)} data-action={id}>
                { label }
            </button>
        }
    };
    let check_stopped = matches!(state.stopped, Some((Kind::Check, _)));
    let findings_label = match &state.checked {
        Some(c) if !check_stopped => format!(
            "{} ({})",
            texts.tab_findings,
            c.findings + c.input_errors.len()
        ),
        _ => texts.tab_findings.to_owned(),
    };
    let panel = match (&state.checked, state.tab) {
        (_, Tab::Findings | Tab::Fixed) if check_stopped => {
            html! { <p class="muted">{ texts.nothing_checked }</p> }
        }
        (None, _) => html! { <p class="muted">{ texts.checking }</p> },
        (Some(checked), Tab::Findings) => html! {
            <FindingsPanel listing={checked.listing.clone()} lang={state.lang} on_select={on_select.clone()}
                on_show_all={on_show_all} />
        },
        (Some(checked), Tab::Fixed) => {
            let fixed = state.fixed.clone().filter(|f| f.is_for(checked));
            let stopped = match state.stopped {
                Some((Kind::Fix, ms)) => Some(ms),
                _ => None,
            };
            html! {
                <FixedPanel checked={checked.clone()} {fixed} {stopped} settings={state.settings.clone()} lang={state.lang}
                    on_apply={on_apply} on_unsafe={on_unsafe} on_notice={on_notice} />
            }
        }
        (Some(_), Tab::Settings) => html! {
            <SettingsPanel settings={state.settings.clone()} lang={state.lang} on_change={on_settings} />
        },
    };

    html! {
        <div class={classes!("app", state.embed.then_some("embed"))}>
            { for header }
            { for embed_bar }
            { for notice }
            <main class="workspace">
                <section class="editor-pane" aria-label={texts.editor_label}>
                    <form class="editor-tools" onsubmit={on_goto}>
                        <label>
                            <span class="label">{ texts.goto_line }</span>
                            <input name="line" type="number" min="1" inputmode="numeric" class="goto" />
                        </label>
                        <button type="submit">{ texts.goto }</button>
                        { button("check", texts.check, on_check) }
                    </form>
                    <div class="editor" ref={editor_ref}></div>
                </section>
                <section class="report-pane" aria-label={texts.verdict_label}>
                    { verdict }
                    <div class="tabs" role="tablist">
                        { tab_button(Tab::Findings, findings_label) }
                        { tab_button(Tab::Fixed, texts.tab_fixed.to_owned()) }
                        { (!state.embed).then(|| tab_button(Tab::Settings, texts.tab_settings.to_owned())) }
                    </div>
                    <div class="panel" id="panel" role="tabpanel">{ panel }</div>
                </section>
            </main>
            if !state.embed {
                <footer class="bottom">
                    <span>{ texts.footer_private }</span>
                    <a href={kube_immutable_core::rules::DOCS_BASE_URL} target="_blank" rel="noopener">{ texts.footer_rules }</a>
                    <a href="https://github.com/kube-immutable/kube-immutable" target="_blank" rel="noopener">{ texts.footer_source }</a>
                    <span class="muted" data-version={kube_immutable_core::VERSION}>
                        { format!("{} v{}", texts.core_version, kube_immutable_core::VERSION) }
                    </span>
                </footer>
            }
        </div>
    }
}

/// A duration with one decimal, without pulling float formatting into the
/// wasm (it weighs ~10 KB).
fn tenths(ms: f64) -> String {
    let tenths = (ms.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The verdict line (test hooks: `data-verdict`, `data-errors`,
/// `data-warnings`, `data-check-ms`; `aria-busy` while a long text is
/// checked, the last check still showing; `data-check-stopped` instead
/// when the check of the text was stopped).
fn verdict_view(state: &State) -> Html {
    let texts = state.lang.texts();
    if let Some((Kind::Check, ms)) = state.stopped {
        return html! {
            <div class="verdict verdict-stopped" role="alert"
                data-check-stopped={ms.map(|ms| ms.to_string()).unwrap_or_default()}>
                <strong class="verdict-title">{ texts.check_stopped }</strong>
                <span class="verdict-details">{ texts.stopped(ms) }</span>
            </div>
        };
    }
    let Some(c) = &state.checked else {
        return html! { <div class="verdict" aria-live="polite">{ texts.checking }</div> };
    };
    let title = match c.verdict {
        Verdict::Immutable => texts.verdict_immutable,
        Verdict::Mutable => texts.verdict_mutable,
        Verdict::Invalid => texts.verdict_invalid,
        Verdict::Empty => texts.verdict_empty,
    };
    let mut details = vec![texts.errors(c.errors), texts.warnings(c.warnings)];
    let input_errors = c
        .input_errors
        .iter()
        .filter(|e| e.severity == Severity::Error)
        .count();
    if input_errors > 0 {
        details.insert(0, texts.input_errors_count(input_errors));
    }
    details.push(texts.objects(c.objects));
    if c.safe_fixes + c.unsafe_fixes > 0 {
        details.push(texts.fixable(c.safe_fixes, c.unsafe_fixes));
    }
    if state.checking {
        details.push(texts.checking.to_owned());
    }
    let busy = state.checking.then_some("verdict-busy");
    html! {
        <div class={classes!("verdict", format!("verdict-{}", c.verdict.as_str()), busy)}
            role="status" aria-busy={state.checking.then_some("true")}
            data-verdict={c.verdict.as_str()} data-errors={c.errors.to_string()}
            data-warnings={c.warnings.to_string()} data-check-ms={tenths(c.ms)}>
            <strong class="verdict-title">{ title }</strong>
            <span class="verdict-details">{ details.join(" · ") }</span>
        </div>
    }
}
