use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Operation, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `host-namespaces`
    ///
    /// ## What it checks
    /// A pod spec that sets `hostNetwork: true`, `hostPID: true` or
    /// `hostIPC: true` (one finding per field).
    ///
    /// ## Why it matters
    /// With a host namespace the pod shares the node's network stack, process
    /// table or shared memory: it can see and signal the node's processes,
    /// bind the node's ports and read other pods' traffic. Its behaviour then
    /// depends on, and can change, state outside the container, which is the
    /// opposite of immutable. Pod Security Standards forbid it from the
    /// *baseline* level.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///     - name: app
    ///       image: registry.example/app:1.0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: registry.example/app:1.0
    /// ```
    ///
    /// ## Fix safety
    /// Removing the field is **unsafe**: some system agents (CNI plugins,
    /// node exporters) need the host namespace to work.
    ///
    /// A Windows HostProcess pod (`windowsOptions.hostProcess: true`) gets no
    /// fix for `hostNetwork`: the API server requires `hostNetwork: true`
    /// there, so the pod would no longer be valid without it.
    ///
    /// ## References
    /// - [Pod Security Standards: Host Namespaces](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    pub(crate) static HOST_NAMESPACES = RuleMeta {
        id: "host-namespaces",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "The pod shares a namespace of the host (network, PID or IPC)",
            fr: "Le pod partage un espace de noms de l'hôte (réseau, PID ou IPC)",
        },
        fix: FixAvailability::Sometimes,
        docs_fr: crate::rules::doc_text(include_str!("host_namespaces.fr.md")),
        check: check,
    };
}

/// What a finding says of one host namespace, put together at compile time:
/// findings borrow these texts instead of each holding formatted copies.
struct Namespace {
    key: &'static str,
    message: StaticMessage,
    help: StaticMessage,
    title: StaticMessage,
}

macro_rules! namespace {
    ($key:literal, $en:literal, $fr:literal) => {
        Namespace {
            key: $key,
            message: StaticMessage {
                en: concat!(
                    "the pod uses the host's ",
                    $en,
                    " namespace (`",
                    $key,
                    ": true`)"
                ),
                fr: concat!(
                    "le pod utilise l'espace de noms ",
                    $fr,
                    " de l'hôte (`",
                    $key,
                    ": true`)"
                ),
            },
            help: StaticMessage {
                en: concat!(
                    "Remove `",
                    $key,
                    "` unless this is a node agent that needs it."
                ),
                fr: concat!(
                    "Supprimez `",
                    $key,
                    "`, sauf pour un agent de nœud qui en a besoin."
                ),
            },
            title: StaticMessage {
                en: concat!("Remove `", $key, "`"),
                fr: concat!("Supprimer `", $key, "`"),
            },
        }
    };
}

static NAMESPACES: [Namespace; 3] = [
    namespace!("hostNetwork", "network", "réseau"),
    namespace!("hostPID", "process (PID)", "processus (PID)"),
    namespace!("hostIPC", "IPC", "IPC"),
];

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    for namespace in &NAMESPACES {
        let key = namespace.key;
        let field = pod.field(key);
        if field.as_bool() != Some(true) {
            continue;
        }
        // HostProcess containers need the host's network (the API server
        // refuses them without it): removing `hostNetwork` is no fix.
        let needed = key == "hostNetwork" && host_process(pod);
        let help = if needed {
            Message::new(
                "Windows HostProcess containers need the host's network: run this agent without `hostProcess` to remove `hostNetwork`.",
                "Les conteneurs Windows HostProcess ont besoin du réseau de l'hôte : exécutez cet agent sans `hostProcess` pour supprimer `hostNetwork`.",
            )
        } else {
            Message::new(namespace.help.en, namespace.help.fr)
        };
        let fix = if needed {
            None
        } else {
            ops::fix(
                Message::new(namespace.title.en, namespace.title.fr),
                Applicability::Unsafe,
                vec![Operation::Remove {
                    path: field.pointer(),
                }],
            )
        };
        out.emit(
            &HOST_NAMESPACES,
            Violation {
                container: None,
                span: field.span(),
                message: Message::new(namespace.message.en, namespace.message.fr),
                help,
                fix,
                pointer: field.pointer(),
            },
        );
    }
}

/// `windowsOptions.hostProcess: true` in the pod's or any container's
/// `securityContext`.
fn host_process(pod: &Pod<'_>) -> bool {
    let set = |sc: Option<&crate::node::Node>| {
        sc.and_then(|sc| sc.get("windowsOptions"))
            .and_then(|w| w.get("hostProcess"))
            .and_then(crate::node::Node::as_bool)
            == Some(true)
    };
    // Every container, the exempt ones too: the API server sees them all.
    set(pod.spec.get("securityContext"))
        || ["initContainers", "containers", "ephemeralContainers"]
            .iter()
            .filter_map(|key| pod.spec.get(key).and_then(crate::node::Node::as_seq))
            .flatten()
            .any(|c| set(c.get("securityContext")))
}
