//! The rules: one file each, named for the bad pattern.
//!
//! Each rule is declared with [`declare_rule!`]: its doc comment is kept as
//! [`RuleMeta::docs`], which `kube-immutable explain` prints and
//! `cargo xtask docs` turns into `docs/rules/<id>.md`.

use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::Emitter;
use crate::finding::Severity;

mod allow_privilege_escalation;
pub mod examples;
mod host_namespaces;
mod may_run_as_root;
mod privilege_escalation_not_disabled;
mod privileged;
mod run_as_root;
pub(crate) mod writable_root_filesystem;

pub use writable_root_filesystem::{writable_paths, KNOWN_IMAGES};

/// A compile-time [`Message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StaticMessage {
    pub en: &'static str,
    pub fr: &'static str,
}

impl StaticMessage {
    /// The text in a language (`"fr"` or anything else for English), as
    /// [`Message::get`].
    pub fn get(&self, lang: &str) -> &'static str {
        if lang.starts_with("fr") {
            self.fr
        } else {
            self.en
        }
    }
}

/// Whether a rule's findings can carry a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    /// Every finding has a fix.
    Always,
    /// Some findings have a fix.
    Sometimes,
    None,
}

/// Everything known about a rule besides its check.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id: a setting key, an annotation value, a docs URL.
    pub id: &'static str,
    pub default_severity: Severity,
    /// One line: what the rule reports.
    pub summary: StaticMessage,
    pub fix: FixAvailability,
    /// The rule's doc comment, as Markdown (English).
    pub docs: &'static str,
    pub(crate) check: fn(&Pod<'_>, &mut Emitter<'_>),
}

impl RuleMeta {
    /// The doc comment without the one leading space of each `///` line.
    pub fn docs_markdown(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// Where the published rule page lives.
    pub fn url(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.id)
    }
}

/// Base of the rule pages (generated into `docs/rules/` by `cargo xtask docs`).
pub const DOCS_BASE_URL: &str =
    "https://github.com/kube-immutable/kube-immutable/blob/main/docs/rules";

/// Where the playground will be published (`cargo xtask build-web` makes
/// it; nothing is published yet). Rule pages, `kube-immutable explain` and
/// the npm package's element link there by default.
pub const PLAYGROUND_URL: &str = "https://kube-immutable.github.io/kube-immutable/playground/";

/// Declares a rule's metadata; the doc comment becomes [`RuleMeta::docs`].
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub(crate) static $name:ident = RuleMeta { $($field:ident : $value:expr),* $(,)? };
    ) => {
        $(#[doc = $doc])+
        pub(crate) static $name: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            docs: concat!($($doc, "\n"),+),
            $($field: $value),*
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in the order they are evaluated and listed.
pub static RULES: &[&RuleMeta] = &[
    &privileged::PRIVILEGED,
    &host_namespaces::HOST_NAMESPACES,
    &allow_privilege_escalation::ALLOW_PRIVILEGE_ESCALATION,
    &privilege_escalation_not_disabled::PRIVILEGE_ESCALATION_NOT_DISABLED,
    &run_as_root::RUN_AS_ROOT,
    &may_run_as_root::MAY_RUN_AS_ROOT,
    &writable_root_filesystem::WRITABLE_ROOT_FILESYSTEM,
];

pub fn by_id(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().copied().find(|r| r.id == id)
}

pub fn ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

/// Note shared by rules whose field only exists on containers: a copy in
/// the pod `securityContext` is not a Kubernetes field and does nothing.
/// Empty when the pod has no such copy.
pub(crate) fn misplaced_note(pod: &Pod<'_>, key: &str) -> Message {
    if pod.security_context().field(key).entry.is_none() {
        return Message::new("", "");
    }
    Message::new(
        format!(" Note: `{key}` in the pod `securityContext` is not a Kubernetes field and has no effect; set it on each container."),
        format!(" Attention : `{key}` dans le `securityContext` du pod n'est pas un champ Kubernetes et n'a aucun effet ; définissez-le sur chaque conteneur."),
    )
}
