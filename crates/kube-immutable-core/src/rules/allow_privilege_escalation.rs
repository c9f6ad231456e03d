use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::fix::ops;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `allow-privilege-escalation`
    ///
    /// ## What it checks
    /// A container whose `securityContext` sets
    /// `allowPrivilegeEscalation: true`. Pods with `spec.os.name: windows`
    /// are exempt (the field does not exist there).
    ///
    /// ## Why it matters
    /// It lets a process gain more privileges than its parent (setuid
    /// binaries, file capabilities): the kernel's `no_new_privs` flag stays
    /// off. A process that can become root can rewrite the container it runs
    /// in. Pod Security Standards' *restricted* level requires `false`.
    ///
    /// The same field in the pod `securityContext` is not a Kubernetes field
    /// and has no effect.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix safety
    /// Setting `false` is **safe**. On a container that is privileged or adds
    /// `CAP_SYS_ADMIN` (the API server compares that exact spelling:
    /// `SYS_ADMIN` is fine) the API server rejects `false`, so no fix is
    /// offered there until `privileged` or the capability is gone: `fix`
    /// sets `privileged: false` first, then this.
    ///
    /// ## References
    /// - [Pod Security Standards: Privilege Escalation](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) static ALLOW_PRIVILEGE_ESCALATION = RuleMeta {
        id: "allow-privilege-escalation",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "A container allows privilege escalation",
            fr: "Un conteneur autorise l'élévation de privilèges",
        },
        fix: FixAvailability::Sometimes,
        docs_fr: crate::rules::doc_text(include_str!("allow_privilege_escalation.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    if pod.windows {
        return;
    }
    let note = misplaced_note(pod, "allowPrivilegeEscalation");
    for c in &pod.containers {
        let field = c.security_context().field("allowPrivilegeEscalation");
        if field.as_bool() != Some(true) {
            continue;
        }
        let who = c.label();
        let mut help = Message::new(
            "Set `allowPrivilegeEscalation: false`.",
            "Mettez `allowPrivilegeEscalation: false`.",
        );
        help.push(&note);
        out.emit(
            &ALLOW_PRIVILEGE_ESCALATION,
            Violation {
                container: Some(c),
                span: field.span(),
                message: Message::new(
                    format!(
                        "{} allows privilege escalation (`allowPrivilegeEscalation: true`)",
                        who.en
                    ),
                    format!(
                        "{} autorise l'élévation de privilèges (`allowPrivilegeEscalation: true`)",
                        who.fr
                    ),
                ),
                help,
                pointer: field.pointer(),
                fix: ops::disable_escalation(c),
            },
        );
    }
}
