//! The playground's one store: state and the actions that change it
//! (`use_reducer`). The editor's text lives in the editor; the store keeps
//! the last check of it.

use std::rc::Rc;

use kube_immutable_core::Settings;
use yew::Reducible;

use crate::checker::{CheckRef, FixedView};
use crate::i18n::Lang;
use crate::worker::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Findings,
    Fixed,
    Settings,
}

/// A short message under the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A share link that does not decode, with the reason.
    BadLink(String),
    LinkCopied,
    LinkTooLarge,
    Copied,
    CopyFailed,
}

impl Notice {
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Notice::BadLink(_) | Notice::LinkTooLarge | Notice::CopyFailed
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub lang: Lang,
    pub theme: Theme,
    pub settings: Rc<Settings>,
    /// The last check of the editor's text (`None` before the first one).
    pub checked: Option<CheckRef>,
    /// A check of a long text is under way: what shows is the last
    /// check's.
    pub checking: bool,
    /// The fixed manifest of a check (the last one's, or an older one's
    /// while the worker fixes the last).
    pub fixed: Option<Rc<FixedView>>,
    /// The newest check or fix was stopped: it ran longer than this many
    /// ms (`None`: the worker failed).
    pub stopped: Option<(Kind, Option<u32>)>,
    pub tab: Tab,
    pub notice: Option<Notice>,
    /// `?embed=1`: the compact layout for iframes.
    pub embed: bool,
}

pub enum Action {
    /// A check of a long text has started.
    Checking,
    Checked(CheckRef),
    Fixed(Rc<FixedView>),
    /// A check or fix ran too long (ms) or failed, and was stopped.
    Stopped(Kind, Option<u32>),
    Lang(Lang),
    Theme(Theme),
    // Boxed: the settings are much larger than the other actions.
    Settings(Box<Settings>),
    UnsafeFixes(bool),
    Tab(Tab),
    Notice(Option<Notice>),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if matches!(action, Action::Checking) && self.checking {
            return self; // the same state: no render for each slice
        }
        let mut next = (*self).clone();
        match action {
            Action::Checking => next.checking = true,
            Action::Checked(checked) => {
                next.checked = Some(checked);
                next.checking = false;
                next.stopped = None;
            }
            Action::Fixed(fixed) => {
                next.fixed = Some(fixed);
                next.stopped = next.stopped.filter(|s| s.0 != Kind::Fix);
            }
            Action::Stopped(kind, ms) => {
                next.stopped = Some((kind, ms));
                next.checking = false;
            }
            Action::Lang(lang) => next.lang = lang,
            Action::Theme(theme) => next.theme = theme,
            Action::Settings(settings) => next.settings = Rc::new(*settings),
            Action::UnsafeFixes(on) => {
                let mut settings = (*next.settings).clone();
                settings.unsafe_fixes = on;
                next.settings = Rc::new(settings);
            }
            Action::Tab(tab) => next.tab = tab,
            Action::Notice(notice) => next.notice = notice,
        }
        Rc::new(next)
    }
}
