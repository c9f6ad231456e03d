use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, IgnoreAnnotation, Target, Violation};
use crate::finding::{Applicability, Operation, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, FixAvailability, StaticMessage, RULES};
use crate::settings::Level;
use crate::IGNORE_ANNOTATION;

/// The id of this rule, which the annotation's `all` does not cover.
pub(crate) const ID: &str = "unused-ignore";

declare_rule! {
    /// # `unused-ignore`
    ///
    /// ## What it checks
    /// A `kube-immutable.io/ignore` annotation that names a rule which
    /// reports nothing on its object: at any level, and on every container,
    /// exempt ones included. `all` is reported when no rule reports
    /// anything on the object; a name written twice, or beside `all`, is
    /// reported too.
    ///
    /// The finding sits on the annotation's line and names the unused
    /// names. The annotation can name `unused-ignore` itself to keep
    /// unused names on purpose; `all` does not lift this rule.
    ///
    /// Nothing is reported on an object whose annotation is not honoured
    /// (admission, unless `ignoreAnnotation.allowed`), on an object that is
    /// exempt (it is not checked), or on an object with input errors
    /// (wrongly typed fields): the rules did not see all of it. A name the
    /// settings do not let the object use here (`ignoreAnnotation.rules`,
    /// `.namespaces`) is judged like the others: it is unused only if its
    /// rule reports nothing under any settings. An unknown name is a
    /// warning of its own, and the fix keeps it.
    ///
    /// ## Why it matters
    /// An ignore that ignores nothing today hides tomorrow's finding: when
    /// someone later sets `privileged: true` on an object that still
    /// carries an old `kube-immutable.io/ignore: privileged`, nothing is
    /// reported, and nobody decided that this container may be privileged.
    /// Like ruff's `RUF100` for `noqa` comments, this rule keeps every
    /// exception tied to a finding that exists.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: cni-agent
    ///   annotations:
    ///     # `privileged` reports nothing here: the container is not privileged
    ///     kube-immutable.io/ignore: "privileged,host-namespaces: needs the host network"
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///     - name: agent
    ///       image: registry.example/cni-agent:1.4
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: cni-agent
    ///   annotations:
    ///     kube-immutable.io/ignore: "host-namespaces: needs the host network"
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///     - name: agent
    ///       image: registry.example/cni-agent:1.4
    /// ```
    ///
    /// ## Fix safety
    /// Removing the unused names (or the whole annotation when none is
    /// left, with `metadata.annotations` when it held nothing else) is a
    /// **safe** fix: a name is reported only when its rule reports nothing
    /// on the object whatever its level and the container exemptions, so no
    /// face, under any settings, reports anything more afterwards.
    ///
    /// ## References
    /// - [ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
    pub(crate) static UNUSED_IGNORE = RuleMeta {
        id: ID,
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "An ignore annotation names a rule that reports nothing",
            fr: "Une annotation d'exclusion nomme une règle qui ne signale rien",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("unused_ignore.fr.md")),
        check: check,
    };
}

/// Why a name of the annotation is unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unused {
    /// Its rule reports nothing on the object (for `all`: no rule does).
    Nothing,
    /// Named before in the same annotation.
    Repeated,
    /// `all` is there too.
    BesideAll,
}

fn check(_pod: &Pod<'_>, out: &mut Emitter<'_>) {
    let Some(annotation) = out.ignore_annotation() else {
        return;
    };
    if !out.clean() {
        return;
    }
    let mut unused: Vec<(usize, Unused)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, name) in annotation.names.iter().enumerate() {
        let id = match name.target {
            Target::All => "all",
            Target::Rule(rule) => rule.id,
            // A warning-level input problem already says so; the fix keeps it.
            Target::Unknown => continue,
        };
        let reason = if seen.contains(&id) {
            Some(Unused::Repeated)
        } else {
            seen.push(id);
            match name.target {
                // `all`: no rule reports anything, whatever the settings.
                Target::All => (!out.reported_any_rule()
                    && !RULES
                        .iter()
                        .filter(|r| r.id != ID)
                        .any(|r| out.would_report(r)))
                .then_some(Unused::Nothing),
                Target::Rule(rule) if rule.id == ID => None,
                Target::Rule(_) if annotation.all => Some(Unused::BesideAll),
                // Reported here (lifted or not: the settings may refuse the
                // name), or under other settings: the name has a use.
                Target::Rule(rule) if out.reported(rule.id) || out.would_report(rule) => None,
                Target::Rule(_) | Target::Unknown => Some(Unused::Nothing),
            }
        };
        if let Some(reason) = reason {
            unused.push((i, reason));
        }
    }
    if unused.is_empty() {
        return;
    }
    let violation = violation(annotation, &unused);
    out.emit(&UNUSED_IGNORE, violation);
}

fn violation(annotation: &IgnoreAnnotation<'_>, unused: &[(usize, Unused)]) -> Violation<'static> {
    let names = |reason: Unused| -> Vec<&str> {
        unused
            .iter()
            .filter(|(_, r)| *r == reason)
            .map(|(i, _)| annotation.names[*i].text)
            .collect()
    };
    let mut parts = Message::new("", "");
    let mut add = |part: Message| {
        if !parts.en.is_empty() {
            parts.push(&Message::new("; ", " ; "));
        }
        parts.push(&part);
    };
    let nothing = names(Unused::Nothing);
    if !nothing.is_empty() {
        let list = quoted(&nothing);
        add(match (nothing.as_slice(), nothing.len()) {
            (["all" | "*"], _) => Message::new(
                format!("{list} ignores nothing (no rule reports anything on this object)"),
                format!(
                    "{list} n'exclut rien (aucune règle ne signale quoi que ce soit sur cet objet)"
                ),
            ),
            (_, 1) => Message::new(
                format!("{list} reports nothing on this object"),
                format!("{list} ne signale rien sur cet objet"),
            ),
            _ => Message::new(
                format!("{list} report nothing on this object"),
                format!("{list} ne signalent rien sur cet objet"),
            ),
        });
    }
    let repeated = names(Unused::Repeated);
    if !repeated.is_empty() {
        let list = quoted(&repeated);
        add(Message::new(
            format!("{list} named more than once"),
            format!("{list} nommé plus d'une fois"),
        ));
    }
    let beside_all = names(Unused::BesideAll);
    if !beside_all.is_empty() {
        let list = quoted(&beside_all);
        add(Message::new(
            format!("`all` already ignores {list}"),
            format!("`all` exclut déjà {list}"),
        ));
    }

    let kept: Vec<&str> = annotation
        .names
        .iter()
        .enumerate()
        .filter(|(i, _)| !unused.iter().any(|(u, _)| u == i))
        .map(|(_, n)| n.text)
        .collect();
    let unused_names: Vec<&str> = unused
        .iter()
        .map(|(i, _)| annotation.names[*i].text)
        .collect();
    let removed = quoted(&unused_names);
    let (message, help, title, operation) = if kept.is_empty() {
        // Nothing left to ignore: the annotation goes, and
        // `metadata.annotations` with it when it held nothing else.
        let path = if annotation.siblings == 1 {
            annotation.annotations_pointer.clone()
        } else {
            annotation.pointer.clone()
        };
        (
            Message::new(
                format!("unused `{IGNORE_ANNOTATION}`: {}", parts.en),
                format!("`{IGNORE_ANNOTATION}` inutile : {}", parts.fr),
            ),
            Message::new(
                "Remove the annotation: it ignores nothing today, and would silently hide a finding this object gets later.",
                "Supprimez l'annotation : elle n'exclut rien aujourd'hui, et masquerait sans bruit un problème que cet objet aurait plus tard.",
            ),
            Message::new(
                format!("Remove the `{IGNORE_ANNOTATION}` annotation"),
                format!("Supprimer l'annotation `{IGNORE_ANNOTATION}`"),
            ),
            Operation::Remove { path },
        )
    } else {
        let plural = unused.len() > 1;
        (
            Message::new(
                format!(
                    "unused {} in `{IGNORE_ANNOTATION}`: {}",
                    if plural { "names" } else { "name" },
                    parts.en
                ),
                format!(
                    "{} dans `{IGNORE_ANNOTATION}` : {}",
                    if plural { "noms inutiles" } else { "nom inutile" },
                    parts.fr
                ),
            ),
            Message::new(
                format!("Remove {removed} from the annotation: a name that ignores nothing would silently hide a finding this object gets later."),
                format!("Retirez {removed} de l'annotation : un nom qui n'exclut rien masquerait sans bruit un problème que cet objet aurait plus tard."),
            ),
            Message::new(
                format!("Remove {removed} from `{IGNORE_ANNOTATION}`"),
                format!("Retirer {removed} de `{IGNORE_ANNOTATION}`"),
            ),
            Operation::Replace {
                path: annotation.pointer.clone(),
                value: without(annotation.value, &kept).into(),
            },
        )
    };
    Violation {
        container: None,
        pointer: annotation.pointer.clone(),
        span: annotation.entry.span(),
        message,
        help,
        fix: ops::fix(title, Applicability::Safe, vec![operation]),
    }
}

/// `` `a`, `b` ``.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The annotation's value with only the `kept` names, in their order, and
/// its reason as written: `"a, b: why"` keeping `b` is `"b: why"`.
fn without(value: &str, kept: &[&str]) -> String {
    let (ids, reason) = match value.find(':') {
        Some(colon) => (&value[..colon], &value[colon..]),
        None => (value, ""),
    };
    let separator = if ids.contains(", ") { ", " } else { "," };
    format!("{}{reason}", kept.join(separator))
}

#[cfg(test)]
mod tests {
    use super::without;

    #[test]
    fn names_are_removed_and_the_reason_kept() {
        assert_eq!(without("a,b", &["b"]), "b");
        assert_eq!(
            without("a, b, c: the reason", &["a", "c"]),
            "a, c: the reason"
        );
        assert_eq!(without(" a ,b:x", &["b"]), "b:x");
    }
}
