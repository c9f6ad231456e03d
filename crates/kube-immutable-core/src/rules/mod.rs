//! The rules: one file each, named for the bad pattern.
//!
//! Each rule is declared with `declare_rule!`: its doc comment is kept as
//! [`RuleMeta::docs`], which `kube-immutable explain` prints and
//! `cargo xtask docs` turns into `docs/rules/<id>.md`. Its French page is the
//! Markdown file beside it (`<rule>.fr.md`, [`RuleMeta::docs_fr`]), with the
//! same sections and examples (`cargo xtask docs --check` compares them).

use crate::context::{Container, Field, Pod};
use crate::diagnostic::Message;
use crate::engine::Emitter;
use crate::finding::Severity;
use crate::settings::Level;

mod added_capabilities;
mod allow_privilege_escalation;
mod capabilities_not_restricted;
pub mod examples;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod image_not_pinned;
mod may_run_as_root;
mod mutable_image_tag;
mod privilege_escalation_not_disabled;
mod privileged;
mod run_as_root;
mod unused_ignore;
pub(crate) mod writable_root_filesystem;

pub(crate) use unused_ignore::ID as UNUSED_IGNORE_ID;
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
    /// Severity of the findings at the default level; for a rule that is
    /// off by default, the severity the `restricted` preset gives it.
    pub default_severity: Severity,
    /// The level the rule runs at when the settings do not name it.
    pub default_level: Level,
    /// One line: what the rule reports.
    pub summary: StaticMessage,
    pub fix: FixAvailability,
    /// The rule's doc comment, as Markdown (English); empty without the
    /// `docs` feature.
    pub docs: &'static str,
    /// The rule's page in French, as Markdown: the same sections and
    /// examples as [`RuleMeta::docs`] (from `rules/<rule>.fr.md`); empty
    /// without the `docs` feature.
    pub docs_fr: &'static str,
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

    /// The rule's page in a language: French for `"fr"` (and `"fr-…"`),
    /// English otherwise.
    pub fn docs_markdown_in(&self, lang: &str) -> String {
        if is_french(lang) {
            self.docs_fr.to_owned()
        } else {
            self.docs_markdown()
        }
    }

    /// Where the published rule page lives.
    pub fn url(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.id)
    }

    /// Where the published rule page lives in a language (`docs/rules/fr/`
    /// for French).
    pub fn url_in(&self, lang: &str) -> String {
        if is_french(lang) {
            format!("{DOCS_BASE_URL}/fr/{}.md", self.id)
        } else {
            self.url()
        }
    }
}

/// `fr`, `fr-FR`, `fr_CA`: as [`Message::get`] reads a language.
fn is_french(lang: &str) -> bool {
    lang.starts_with("fr")
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
            docs: $crate::rules::doc_text(concat!($($doc, "\n"),+)),
            $($field: $value),*
        };
    };
}
pub(crate) use declare_rule;

/// A rule's page text, or `""` when the `docs` feature is off: faces that
/// never show the pages (the policy module, the npm package) do not carry
/// them in their wasm.
pub(crate) const fn doc_text(text: &'static str) -> &'static str {
    if cfg!(feature = "docs") {
        text
    } else {
        ""
    }
}

/// Every rule, in the order they are evaluated and listed. `unused-ignore`
/// is last: it reads what the others' findings the annotation suppressed.
pub static RULES: &[&RuleMeta] = &[
    &privileged::PRIVILEGED,
    &host_namespaces::HOST_NAMESPACES,
    &allow_privilege_escalation::ALLOW_PRIVILEGE_ESCALATION,
    &privilege_escalation_not_disabled::PRIVILEGE_ESCALATION_NOT_DISABLED,
    &run_as_root::RUN_AS_ROOT,
    &may_run_as_root::MAY_RUN_AS_ROOT,
    &writable_root_filesystem::WRITABLE_ROOT_FILESYSTEM,
    &host_path_volumes::HOST_PATH_VOLUMES,
    &host_ports::HOST_PORTS,
    &added_capabilities::ADDED_CAPABILITIES,
    &capabilities_not_restricted::CAPABILITIES_NOT_RESTRICTED,
    &mutable_image_tag::MUTABLE_IMAGE_TAG,
    &image_not_pinned::IMAGE_NOT_PINNED,
    &unused_ignore::UNUSED_IGNORE,
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

/// Each container with a non-empty `image`: the container, its `image`
/// field and the reference parsed (what the two image rules read).
pub(crate) fn container_images<'p>(
    pod: &'p Pod<'_>,
) -> impl Iterator<Item = (&'p Container<'p>, Field<'p>, &'p str, ImageRef<'p>)> {
    pod.containers.iter().filter_map(|c| {
        let field = c.field("image");
        let image = field.as_str().filter(|i| !i.trim().is_empty())?;
        Some((c, field, image, ImageRef::parse(image)))
    })
}

/// An image reference split as a container runtime reads it:
/// `registry:5000/repo:tag@sha256:…` → repository, tag, digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Everything before the tag and digest (registry and path included).
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// What follows `@`, checked or not.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(image: &'a str) -> Self {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (image, None),
        };
        // A `:` after the last `/` starts the tag (a `:` before it is a port).
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[last_slash..].find(':') {
            Some(colon) => (
                &name[..last_slash + colon],
                Some(&name[last_slash + colon + 1..]).filter(|t| !t.is_empty()),
            ),
            None => (name, None),
        };
        Self {
            repository,
            tag,
            digest,
        }
    }

    /// The digest when it is `sha256:` and 64 hexadecimal digits.
    pub fn sha256_digest(&self) -> Option<&'a str> {
        self.digest.filter(|d| {
            d.strip_prefix("sha256:")
                .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    #[test]
    fn image_references() {
        let digest = "sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a";
        let r = ImageRef::parse("nginx");
        assert_eq!((r.repository, r.tag, r.digest), ("nginx", None, None));
        let r = ImageRef::parse("localhost:5000/team/app:1.2");
        assert_eq!(
            (r.repository, r.tag),
            ("localhost:5000/team/app", Some("1.2"))
        );
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!((r.repository, r.tag), ("localhost:5000/app", None));
        let image = format!("nginx:latest@{digest}");
        let r = ImageRef::parse(&image);
        assert_eq!((r.tag, r.sha256_digest()), (Some("latest"), Some(digest)));
        let image = format!("nginx@{digest}");
        assert_eq!(ImageRef::parse(&image).tag, None);
        assert_eq!(ImageRef::parse(&image).sha256_digest(), Some(digest));
        assert_eq!(ImageRef::parse("nginx@sha256:abc").sha256_digest(), None);
        assert_eq!(ImageRef::parse("nginx@sha512:abc").sha256_digest(), None);
        assert_eq!(ImageRef::parse("nginx:").tag, None);
    }
}
