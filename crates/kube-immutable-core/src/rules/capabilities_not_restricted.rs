use crate::context::{Container, Item, Pod};
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Fix, Operation, Severity};
use crate::fix::ops;
use crate::rules::added_capabilities::BASELINE_CAPABILITIES;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `capabilities-not-restricted`
    ///
    /// ## What it checks
    /// What Pod Security's *restricted* `capabilities` check asks beyond
    /// `added-capabilities`: a container whose
    /// `securityContext.capabilities.drop` does not contain `ALL` (one
    /// finding, at `drop` or the nearest node that exists), and each entry
    /// of `capabilities.add` that the baseline allows but *restricted* does
    /// not: anything other than `NET_BIND_SERVICE` (one finding per entry).
    /// Capabilities outside the baseline are `added-capabilities`' findings,
    /// never reported twice. Names are compared exactly (`all` is not
    /// `ALL`). Pods with `spec.os.name: windows` are exempt, as in Pod
    /// Security: Windows has no Linux capabilities.
    ///
    /// ## Why it matters
    /// Container runtimes grant a dozen capabilities by default (`CHOWN`,
    /// `DAC_OVERRIDE`, `FOWNER`, `SETUID`, ...): enough for a process to
    /// take over files it does not own and change users. An immutable
    /// container needs none of them. Dropping `ALL` and adding back only
    /// `NET_BIND_SERVICE` (to bind a port below 1024) is what Pod Security
    /// Standards' *restricted* level requires.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add:
    ///       - CHOWN
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop:
    ///       - ALL
    ///     add:
    ///       - NET_BIND_SERVICE
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `ALL` to `drop` (creating `securityContext`,
    /// `capabilities` or `drop` when missing), and removes the added
    /// capabilities other than `NET_BIND_SERVICE`. Both are **unsafe**: an
    /// image whose entrypoint changes file owners or users (`chown`,
    /// `gosu`, `su-exec`) or binds port 80 as a non-root user then fails.
    ///
    /// ## References
    /// - [Pod Security Standards: Capabilities (restricted)](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [Kubernetes: Set capabilities for a container](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container)
    pub(crate) static CAPABILITIES_NOT_RESTRICTED = RuleMeta {
        id: "capabilities-not-restricted",
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "A container does not drop all capabilities, or adds one other than `NET_BIND_SERVICE`",
            fr: "Un conteneur ne retire pas toutes les capacités, ou en ajoute une autre que `NET_BIND_SERVICE`",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("capabilities_not_restricted.fr.md")),
        check: check,
    };
}

/// The one capability *restricted* lets a container add.
const RESTRICTED_ADDABLE: &str = "NET_BIND_SERVICE";

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    if pod.windows {
        return;
    }
    let note = misplaced_note(pod, "capabilities");
    for c in &pod.containers {
        let caps = c.security_context().capabilities();
        let drop = caps.field("drop");
        if !drop.items().any(|item| item.as_str() == Some("ALL")) {
            let who = c.label();
            let mut help = Message::new(
                "Add `ALL` to `securityContext.capabilities.drop`; add back only `NET_BIND_SERVICE` if the container binds a port below 1024.",
                "Ajoutez `ALL` à `securityContext.capabilities.drop` ; ne rajoutez que `NET_BIND_SERVICE` si le conteneur écoute sur un port inférieur à 1024.",
            );
            if drop
                .items()
                .any(|item| item.as_str().is_some_and(|s| s.eq_ignore_ascii_case("ALL")))
            {
                help.push(&Message::new(
                    " Kubernetes compares names exactly: `ALL` is upper case.",
                    " Kubernetes compare les noms à l'identique : `ALL` s'écrit en majuscules.",
                ));
            }
            help.push(&note);
            out.emit(
                &CAPABILITIES_NOT_RESTRICTED,
                Violation {
                    container: Some(c),
                    span: drop.key_span(),
                    message: Message::new(
                        format!("{} does not drop all capabilities (`ALL` is not in `capabilities.drop`)", who.en),
                        format!("{} ne retire pas toutes les capacités (`ALL` n'est pas dans `capabilities.drop`)", who.fr),
                    ),
                    help,
                    pointer: drop.pointer(),
                    fix: drop_all(c),
                },
            );
        }
        let added: Vec<(Item<'_>, &str)> = caps
            .field("add")
            .items()
            .filter_map(|item| Some((item, item.as_str()?)))
            .filter(|(_, cap)| *cap != RESTRICTED_ADDABLE && BASELINE_CAPABILITIES.contains(cap))
            .collect();
        for (item, cap) in &added {
            let who = c.label();
            let mut help = Message::new(
                format!("Remove `{cap}` from `capabilities.add`: Pod Security's restricted level allows only `NET_BIND_SERVICE`."),
                format!("Retirez `{cap}` de `capabilities.add` : le niveau « restricted » de Pod Security n'autorise que `NET_BIND_SERVICE`."),
            );
            help.push(&note);
            out.emit(
                &CAPABILITIES_NOT_RESTRICTED,
                Violation {
                    container: Some(c),
                    span: item.span(),
                    message: Message::new(
                        format!("{} adds capability `{cap}`: the restricted level allows only `NET_BIND_SERVICE`", who.en),
                        format!("{} ajoute la capacité `{cap}` : le niveau « restricted » n'autorise que `NET_BIND_SERVICE`", who.fr),
                    ),
                    help,
                    pointer: item.pointer(),
                    fix: remove(c, &added),
                },
            );
        }
    }
}

/// `ALL` appended to `drop`, or `drop: [ALL]` where it is missing.
fn drop_all(c: &Container<'_>) -> Option<Fix> {
    let drop = c.security_context().capabilities().field("drop");
    let op = if drop.value().and_then(|v| v.as_seq()).is_some() {
        Operation::Add {
            path: format!("{}/-", drop.pointer()),
            value: "ALL".into(),
        }
    } else {
        ops::set_path(
            c.node,
            &c.pointer,
            &["securityContext", "capabilities", "drop"],
            serde_json::json!(["ALL"]),
        )
    };
    ops::fix(
        Message::new(
            "Add `ALL` to `capabilities.drop`",
            "Ajouter `ALL` à `capabilities.drop`",
        ),
        Applicability::Unsafe,
        vec![op],
    )
}

fn remove(c: &Container<'_>, added: &[(Item<'_>, &str)]) -> Option<Fix> {
    let add = c.security_context().capabilities().field("add");
    let indices: Vec<usize> = added.iter().map(|(item, _)| item.index).collect();
    let names: Vec<String> = added.iter().map(|(_, cap)| format!("`{cap}`")).collect();
    let names = names.join(", ");
    ops::fix(
        Message::new(
            format!("Remove {names} from `capabilities.add`"),
            format!("Retirer {names} de `capabilities.add`"),
        ),
        Applicability::Unsafe,
        ops::remove_items(&add, &indices),
    )
}
