use crate::context::Pod;
use crate::context::SecurityContext;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Fix, Operation, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `run-as-root`
    ///
    /// ## What it checks
    /// Each place that sets `runAsUser: 0`: the pod `securityContext` (a
    /// pod-level finding) and any container's `securityContext`. YAML 1.1
    /// spellings count: `0x0`, `00`, `+0` are all root.
    ///
    /// ## Why it matters
    /// Root in the container can write anywhere the filesystem lets it,
    /// install packages and change binaries: the running container stops
    /// matching its image. If it escapes, it is root on the node too. Pod
    /// Security Standards' *restricted* level forbids `runAsUser: 0`.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 101
    ///   runAsNonRoot: true
    /// ```
    ///
    /// ## Fix safety
    /// **Unsafe**: the image may need root (stock `nginx` binds port 80 and
    /// writes to root-owned paths). The fix removes `runAsUser: 0` and sets
    /// `runAsNonRoot: true`; pair it with a non-root image such as
    /// `nginxinc/nginx-unprivileged`.
    ///
    /// ## References
    /// - [Pod Security Standards: Running as Non-root user](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) static RUN_AS_ROOT = RuleMeta {
        id: "run-as-root",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "The pod or a container runs as root (`runAsUser: 0`)",
            fr: "Le pod ou un conteneur s'exécute en root (`runAsUser: 0`)",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("run_as_root.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    let pod_sc = pod.security_context();
    let field = pod_sc.field("runAsUser");
    if field.as_i64() == Some(0) {
        out.emit(
            &RUN_AS_ROOT,
            Violation {
                container: None,
                span: field.span(),
                message: Message::new(
                    "the pod runs its containers as root (`runAsUser: 0`)",
                    "le pod exécute ses conteneurs en root (`runAsUser: 0`)",
                ),
                help: help(pod.containers.iter().filter_map(|c| c.image)),
                fix: fix(&pod_sc, &field.pointer()),
                pointer: field.pointer(),
            },
        );
    }
    for c in &pod.containers {
        let sc = c.security_context();
        let field = sc.field("runAsUser");
        if field.as_i64() != Some(0) {
            continue;
        }
        let who = c.label();
        out.emit(
            &RUN_AS_ROOT,
            Violation {
                container: Some(c),
                span: field.span(),
                message: Message::new(
                    format!("{} runs as root (`runAsUser: 0`)", who.en),
                    format!("{} s'exécute en root (`runAsUser: 0`)", who.fr),
                ),
                help: help(c.image.into_iter()),
                fix: fix(&sc, &field.pointer()),
                pointer: field.pointer(),
            },
        );
    }
}

/// Remove `runAsUser: 0` and require a non-root user at the same level.
fn fix(sc: &SecurityContext<'_>, run_as_user: &str) -> Option<Fix> {
    ops::fix(
        Message::new(
            "Remove `runAsUser: 0` and set `runAsNonRoot: true`",
            "Supprimer `runAsUser: 0` et mettre `runAsNonRoot: true`",
        ),
        Applicability::Unsafe,
        vec![
            Operation::Remove {
                path: run_as_user.to_owned(),
            },
            ops::set(sc, "runAsNonRoot", true.into()),
        ],
    )
}

fn help<'a>(images: impl Iterator<Item = &'a str>) -> Message {
    let mut m = Message::new(
        "Remove `runAsUser: 0`, set `runAsNonRoot: true` and a non-root `runAsUser`.",
        "Supprimez `runAsUser: 0`, mettez `runAsNonRoot: true` et un `runAsUser` non root.",
    );
    for image in images {
        if let Some(alternative) = non_root_image(image) {
            m.push(&Message::new(
                format!(" Image `{image}` has a non-root variant: `{alternative}`."),
                format!(" L'image `{image}` a une variante non root : `{alternative}`."),
            ));
        }
    }
    m
}

/// Non-root variants of well-known images.
pub(crate) fn non_root_image(image: &str) -> Option<&'static str> {
    let repo = crate::rules::writable_root_filesystem::repository(image);
    match repo {
        "nginx" | "library/nginx" | "docker.io/nginx" | "docker.io/library/nginx" => {
            Some("nginxinc/nginx-unprivileged")
        }
        _ => None,
    }
}
