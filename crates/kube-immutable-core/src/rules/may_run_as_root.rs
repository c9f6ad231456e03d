use crate::context::{Pod, SecurityContext};
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Related, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `may-run-as-root`
    ///
    /// ## What it checks
    /// That the kubelet is told to refuse root: a finding when the pod
    /// `securityContext` sets `runAsNonRoot: false` (pod level), when a
    /// container sets it `false`, or when a container leaves it unset while
    /// the pod does not set `true`. Pods with `spec.hostUsers: false` run in
    /// a user namespace and are exempt.
    ///
    /// ## Why it matters
    /// `runAsUser: 1000` alone does not do it: the kubelet only verifies the
    /// user when `runAsNonRoot: true`, and an image whose default user is
    /// root then runs as root. Pod Security Standards' *restricted* level
    /// requires `runAsNonRoot: true`. A warning by default (the tutorial's
    /// pod leaves it implicit); the `restricted` preset makes it an error.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: nginx
    ///       image: nginx:1.27
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///   containers:
    ///     - name: nginx
    ///       image: nginxinc/nginx-unprivileged:1.27
    /// ```
    ///
    /// ## Fix safety
    /// **Unsafe**: the fix sets `runAsNonRoot: true` at pod level; a pod whose
    /// image runs as root then fails to start (`CreateContainerConfigError`).
    ///
    /// ## References
    /// - [Pod Security Standards: Running as Non-root](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) static MAY_RUN_AS_ROOT = RuleMeta {
        id: "may-run-as-root",
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "Nothing stops a container from running as root (`runAsNonRoot` is not true)",
            fr: "Rien n'empêche un conteneur de s'exécuter en root (`runAsNonRoot` n'est pas vrai)",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("may_run_as_root.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    if pod.user_namespace {
        return;
    }
    let pod_sc = pod.security_context();
    let pod_field = pod_sc.field("runAsNonRoot");
    // `runAsNonRoot: true` in the given context (built only for a finding).
    let set_true = |sc: &SecurityContext<'_>| {
        ops::fix(
            Message::new("Set `runAsNonRoot: true`", "Mettre `runAsNonRoot: true`"),
            Applicability::Unsafe,
            vec![ops::set(sc, "runAsNonRoot", true.into())],
        )
    };
    let pod_value = pod_field.as_bool();
    let help = Message::new(
        "Set `runAsNonRoot: true` in the pod `securityContext` and use an image that runs as a non-root user.",
        "Mettez `runAsNonRoot: true` dans le `securityContext` du pod et utilisez une image qui s'exécute sans root.",
    );
    if pod_value == Some(false) {
        out.emit(
            &MAY_RUN_AS_ROOT,
            Violation {
                container: None,
                span: pod_field.span(),
                message: Message::new(
                    "the pod allows its containers to run as root (`runAsNonRoot: false`)",
                    "le pod permet à ses conteneurs de s'exécuter en root (`runAsNonRoot: false`)",
                ),
                help: help.clone(),
                pointer: pod_field.pointer(),
                fix: set_true(&pod_sc),
            },
        );
    }
    for c in &pod.containers {
        let sc = c.security_context();
        let field = sc.field("runAsNonRoot");
        let message = match field.as_bool() {
            Some(true) => continue,
            Some(false) => {
                let who = c.label();
                Message::new(
                    format!("{} allows running as root (`runAsNonRoot: false`)", who.en),
                    format!(
                        "{} permet l'exécution en root (`runAsNonRoot: false`)",
                        who.fr
                    ),
                )
            }
            None if pod_value == Some(true) => continue,
            None => {
                let who = c.label();
                Message::new(
                    format!("{} may run as root: neither it nor the pod sets `runAsNonRoot: true`", who.en),
                    format!("{} peut s'exécuter en root : ni lui ni le pod ne définit `runAsNonRoot: true`", who.fr),
                )
            }
        };
        // Unset here and `false` on the pod: the container inherits it.
        let related = (field.as_bool().is_none() && pod_value == Some(false)).then(|| Related {
            message: Message::new(
                "the pod sets `runAsNonRoot: false`, which this container inherits",
                "le pod définit `runAsNonRoot: false`, dont ce conteneur hérite",
            ),
            pointer: pod_field.pointer(),
            span: pod_field.span(),
            start: None,
            end: None,
        });
        out.emit_related(
            &MAY_RUN_AS_ROOT,
            Violation {
                container: Some(c),
                span: field.span(),
                message,
                help: help.clone(),
                pointer: field.pointer(),
                // A container's own `false` wins over the pod: fix it there.
                fix: if field.as_bool() == Some(false) {
                    set_true(&sc)
                } else {
                    set_true(&pod_sc)
                },
            },
            related,
        );
    }
}
