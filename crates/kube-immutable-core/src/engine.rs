//! Runs the rules over objects: builds the typed pod views, checks field
//! types, applies exemptions and levels, and collects findings.

use std::cell::OnceCell;

use crate::context::{Container, ContainerList, Pod};
use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::finding::{Finding, Fix, ObjectRef, Related};
use crate::node::{Entry, Node, Value};
use crate::rules::{self, RuleMeta};
use crate::settings::{Requester, Settings};
use crate::span::Span;
use crate::workload::{for_each_object, join, Object};
use crate::Report;

/// The annotation that turns rules off for one object.
pub const IGNORE_ANNOTATION: &str = "kube-immutable.io/ignore";

/// What a rule found, before levels and exemptions apply.
#[derive(Debug)]
pub struct Violation<'c> {
    pub container: Option<&'c Container<'c>>,
    pub pointer: String,
    pub span: Option<Span>,
    pub message: Message,
    pub help: Message,
    pub fix: Option<Fix>,
}

/// Where rules send their violations.
#[derive(Debug)]
pub struct Emitter<'s> {
    settings: &'s Settings,
    object: ObjectRef,
    /// Pointer of the pod spec the rules are looking at.
    pod: String,
    ignore: Option<IgnoreAnnotation<'s>>,
    /// Rules that reported something on this object, suppressed or not.
    reported_rules: Vec<&'static str>,
    findings: Vec<Finding>,
    suppressed: usize,
    /// The object had no error-level input problem: the rules saw all of it.
    clean: bool,
    /// A probe only counts what rules would report (see [`Emitter::would_report`]).
    probing: bool,
    probed: usize,
    /// The object's pod specs and their pointers, for probes.
    specs: &'s [(&'s Node, String)],
    /// Some containers (or pod specs) were left out by the settings'
    /// exemptions.
    exempt_containers: bool,
    /// The pods with every container, built on the first probe that needs
    /// them.
    full_pods: OnceCell<Vec<Pod<'s>>>,
}

/// The `kube-immutable.io/ignore` annotation of one object, as read (only
/// when the settings let the object use it).
#[derive(Debug)]
pub(crate) struct IgnoreAnnotation<'a> {
    /// Its entry in `metadata.annotations` (key and value spans).
    pub entry: &'a Entry,
    /// How many entries `metadata.annotations` has.
    pub siblings: usize,
    /// Pointers of the annotation and of `metadata.annotations`.
    pub pointer: String,
    pub annotations_pointer: String,
    /// The whole value: `rule-a,rule-b: reason`.
    pub value: &'a str,
    /// The names before the reason, as written, in order.
    pub names: Vec<IgnoredName<'a>>,
    /// `all` (or `*`) is among them.
    pub all: bool,
    /// `all` lifts every rule here (the settings do not narrow it).
    lifts_all: bool,
    /// The rules it lifts here besides: those named, or those `all` covers
    /// when `ignoreAnnotation.rules` or `.namespaces` narrow it.
    lifted: Vec<&'static str>,
}

/// One name of the annotation, as written (trimmed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IgnoredName<'a> {
    pub text: &'a str,
    pub target: Target,
}

/// What a name of the annotation names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// `all` or `*`.
    All,
    Rule(&'static RuleMeta),
    /// No such rule (a warning-level input problem says so).
    Unknown,
}

impl<'s> Emitter<'s> {
    pub fn emit(&mut self, rule: &RuleMeta, v: Violation<'_>) {
        self.emit_related(rule, v, None);
    }

    /// [`Emitter::emit`] with the place the finding comes from (the
    /// pod-level field a container inherits).
    pub fn emit_related(&mut self, rule: &RuleMeta, v: Violation<'_>, related: Option<Related>) {
        if self.probing {
            self.probed += 1;
            return;
        }
        let Some(severity) = self.settings.severity(rule) else {
            return;
        };
        if !self.reported_rules.contains(&rule.id) {
            self.reported_rules.push(rule.id);
        }
        if self.ignores(rule.id) {
            self.suppressed += 1;
            return;
        }
        self.findings.push(Finding {
            rule: rule.id,
            severity,
            message: v.message,
            help: v.help,
            object: self.object.clone(),
            pod: self.pod.clone(),
            container: v.container.and_then(|c| c.name).map(ToOwned::to_owned),
            pointer: v.pointer,
            span: v.span,
            start: None,
            end: None,
            fix: v.fix,
            related: related.map(Box::new),
        });
    }

    /// Whether the annotation lifts a rule on this object. `all` lifts
    /// every rule but `unused-ignore`, which only its own name lifts: a
    /// stale `all` must not hide itself.
    fn ignores(&self, id: &str) -> bool {
        let Some(a) = &self.ignore else {
            return false;
        };
        (a.lifts_all && id != rules::UNUSED_IGNORE_ID) || a.lifted.contains(&id)
    }

    /// The object's ignore annotation, when it is read and honoured.
    pub(crate) fn ignore_annotation(&self) -> Option<&IgnoreAnnotation<'s>> {
        self.ignore.as_ref()
    }

    /// The object had no error-level input problem (wrong types): what
    /// the rules reported is all there is.
    pub(crate) fn clean(&self) -> bool {
        self.clean
    }

    /// The rule reported something on this object, suppressed or not.
    pub(crate) fn reported(&self, id: &str) -> bool {
        self.reported_rules.contains(&id)
    }

    /// Some rule other than `unused-ignore` reported something (what `all`
    /// is there for).
    pub(crate) fn reported_any_rule(&self) -> bool {
        self.reported_rules
            .iter()
            .any(|id| *id != rules::UNUSED_IGNORE_ID)
    }

    /// Whether `rule` would report something on this object under other
    /// settings: at any level, and with no container exempt. A rule that
    /// ran on every container and reported nothing reports nothing; one
    /// that is off, or that did not see exempt containers (or pod specs), is
    /// run again on every pod spec whole, only counting.
    pub(crate) fn would_report(&self, rule: &RuleMeta) -> bool {
        if self.settings.severity(rule).is_some() && !self.exempt_containers {
            return false;
        }
        let pods = self.full_pods.get_or_init(|| {
            self.specs
                .iter()
                .filter_map(|(spec, pointer)| {
                    build_pod(spec, pointer.clone(), None, None, &mut Vec::new())
                })
                .collect()
        });
        let mut probe = Emitter::new(self.settings, self.object.clone(), None);
        probe.probing = true;
        for pod in pods {
            (rule.check)(pod, &mut probe);
        }
        probe.probed > 0
    }

    fn new(
        settings: &'s Settings,
        object: ObjectRef,
        ignore: Option<IgnoreAnnotation<'s>>,
    ) -> Self {
        Emitter {
            settings,
            object,
            pod: String::new(),
            ignore,
            reported_rules: Vec::new(),
            findings: Vec::new(),
            suppressed: 0,
            clean: true,
            probing: false,
            probed: 0,
            specs: &[],
            exempt_containers: false,
            full_pods: OnceCell::new(),
        }
    }
}

/// What a check knows besides the object and the settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// An admission request: the object's author is the person the policy
    /// guards against (the ignore annotation is not honoured by default).
    pub admission: bool,
    /// Who asks (admission only).
    pub requester: Requester<'a>,
}

/// Check every object of one document root.
pub(crate) fn check_document(
    root: &Node,
    document: usize,
    settings: &Settings,
    context: &Context<'_>,
    report: &mut Report,
) {
    if root.get("apiVersion").is_some() && root.get("kind").is_some() {
        report.manifests += 1;
    }
    for_each_object(root, document, &mut |object| {
        check_object(object, settings, context, report)
    });
}

/// Check every object of a node found at `pointer` of document `document`
/// (an item of a `List`, read on its own).
#[cfg(feature = "yaml")]
pub(crate) fn check_node_at(
    node: &Node,
    document: usize,
    pointer: String,
    settings: &Settings,
    context: &Context<'_>,
    report: &mut Report,
) {
    crate::workload::for_each_object_at(node, document, pointer, &mut |object| {
        check_object(object, settings, context, report)
    });
}

fn check_object(
    object: &Object<'_>,
    settings: &Settings,
    context: &Context<'_>,
    report: &mut Report,
) {
    let specs = object.pod_specs(&settings.workloads);
    if specs.is_empty() {
        return;
    }
    report.objects += 1;
    let namespace = object.namespace();
    // Exemptions a tenant cannot forge first: who asks, where.
    if (context.admission && settings.requester_exempt(&context.requester))
        || settings.namespace_exempt(namespace)
    {
        return;
    }
    let mut errors = Vec::new();
    let ignore = read_ignore_annotation(object, settings, context, &mut errors);
    let mut emitter = Emitter::new(settings, object_ref(object), ignore);
    emitter.specs = &specs;
    // Each pod spec of the object (a Ray cluster's head and worker groups)
    // is checked as a pod of its own, under the object's name, annotation
    // and namespace; one that runs in a sandbox the operator trusts is not.
    let mut checked = None;
    for (spec, pointer) in &specs {
        if settings.runtime_class_exempt(spec.get("runtimeClassName").and_then(Node::as_str)) {
            emitter.exempt_containers = true;
            continue;
        }
        let Some(pod) = build_pod(
            spec,
            pointer.clone(),
            Some(settings),
            namespace,
            &mut errors,
        ) else {
            continue;
        };
        emitter.pod.clone_from(pointer);
        emitter.exempt_containers |= pod.containers.len() < container_count(spec);
        // A rule that is off would only build findings for the emitter to
        // drop (messages in two languages, pointers, fixes): skip it.
        for rule in rules::RULES {
            if rule.id != rules::UNUSED_IGNORE_ID && settings.severity(rule).is_some() {
                (rule.check)(&pod, &mut emitter);
            }
        }
        checked.get_or_insert((pod, pointer));
    }
    // `unused-ignore` reads what the others reported on every pod spec:
    // once, last, when some pod spec was checked.
    emitter.clean = !errors.iter().any(Diagnostic::is_error);
    if let Some((pod, pointer)) = checked {
        // Its finding is on the annotation: grouped with the first pod spec.
        emitter.pod.clone_from(pointer);
        for rule in rules::RULES {
            if rule.id == rules::UNUSED_IGNORE_ID && settings.severity(rule).is_some() {
                (rule.check)(&pod, &mut emitter);
            }
        }
    }
    report.findings.append(&mut emitter.findings);
    report.suppressed += emitter.suppressed;
    report
        .errors
        .extend(errors.into_iter().map(|e| e.in_document(object.document)));
}

/// What findings say about their object.
pub(crate) fn object_ref(object: &Object<'_>) -> ObjectRef {
    ObjectRef {
        kind: object.kind.to_owned(),
        name: object.name().map(ToOwned::to_owned),
        namespace: object.namespace().map(ToOwned::to_owned),
        document: object.document,
        pointer: object.pointer.to_owned(),
    }
}

/// Containers of the three lists that are mappings (the others are type
/// errors).
fn container_count(spec: &Node) -> usize {
    ContainerList::ALL
        .iter()
        .filter_map(|(_, key)| spec.get(key).and_then(Node::as_seq))
        .flatten()
        .filter(|c| c.as_map().is_some())
        .count()
}

fn read_ignore_annotation<'a>(
    object: &Object<'a>,
    settings: &Settings,
    context: &Context<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Option<IgnoreAnnotation<'a>> {
    let annotations = object.node.get("metadata")?.get("annotations")?;
    let entry = annotations.entry(IGNORE_ANNOTATION)?;
    let node = &entry.value;
    let annotations_pointer = join(&join(object.pointer, "metadata"), "annotations");
    let pointer = join(&annotations_pointer, IGNORE_ANNOTATION);
    let Some(value) = node.as_str() else {
        errors.push(invalid_type(node, &pointer, "string"));
        return None;
    };
    let not_honoured = |why_en: &str, why_fr: &str| {
        Diagnostic::new(
            ErrorKind::IgnoredAnnotation,
            Message::new(
                format!("{IGNORE_ANNOTATION} is not honoured by this policy: {why_en}"),
                format!(
                    "{IGNORE_ANNOTATION} n'est pas pris en compte par cette politique : {why_fr}"
                ),
            ),
            node.span,
        )
        .at_pointer(pointer.clone())
        .warning()
    };
    if !settings.annotation_allowed(context.admission) {
        errors.push(not_honoured(
            "an object cannot lift a rule for itself unless the settings allow it (`ignoreAnnotation.allowed: true`)",
            "un objet ne peut pas lever une règle pour lui-même sauf si les réglages le permettent (`ignoreAnnotation.allowed: true`)",
        ));
        return None;
    }
    let namespace = object.namespace();
    // `rule-a,rule-b: reason`; rule ids never contain `:`.
    let ids = value.split_once(':').map_or(value, |(ids, _reason)| ids);
    let mut names = Vec::new();
    let (mut all, mut lifts_all) = (false, false);
    let mut lifted = Vec::new();
    let mut refused = Vec::new();
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if id == "all" || id == "*" {
            names.push(IgnoredName {
                text: id,
                target: Target::All,
            });
            all = true;
            let narrowed = settings.ignore_annotation.rules.is_some()
                || settings.ignore_annotation.namespaces.is_some();
            if !narrowed {
                lifts_all = true;
                continue;
            }
            // `all` never covers `unused-ignore` (see `Emitter::ignores`).
            for rule in rules::RULES
                .iter()
                .filter(|r| r.id != rules::UNUSED_IGNORE_ID)
            {
                if settings.annotation_may_ignore(rule.id, namespace) {
                    lifted.push(rule.id);
                } else {
                    refused.push(rule.id);
                }
            }
            continue;
        }
        let Some(rule) = rules::by_id(id) else {
            names.push(IgnoredName {
                text: id,
                target: Target::Unknown,
            });
            errors.push(
                Diagnostic::new(
                    ErrorKind::InvalidValue,
                    Message::new(
                        format!("unknown rule `{id}` in annotation `{IGNORE_ANNOTATION}`; known rules: {}", rules::ids().collect::<Vec<_>>().join(", ")),
                        format!("règle `{id}` inconnue dans l'annotation `{IGNORE_ANNOTATION}` ; règles connues : {}", rules::ids().collect::<Vec<_>>().join(", ")),
                    ),
                    node.span,
                )
                .at_pointer(pointer.clone())
                // Kubernetes takes the annotation; the rule it meant to
                // silence still reports.
                .warning(),
            );
            continue;
        };
        names.push(IgnoredName {
            text: id,
            target: Target::Rule(rule),
        });
        if settings.annotation_may_ignore(id, namespace) {
            lifted.push(rule.id);
        } else {
            refused.push(rule.id);
        }
    }
    if !refused.is_empty() {
        let list = refused
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(not_honoured(
            &format!("the settings do not let it turn off {list} here (`ignoreAnnotation.rules`, `ignoreAnnotation.namespaces`)"),
            &format!("les réglages ne lui permettent pas de désactiver {list} ici (`ignoreAnnotation.rules`, `ignoreAnnotation.namespaces`)"),
        ));
    }
    Some(IgnoreAnnotation {
        entry,
        siblings: annotations.as_map().map_or(1, <[Entry]>::len),
        pointer,
        annotations_pointer,
        value,
        names,
        all,
        lifts_all,
        lifted,
    })
}

/// Build the pod view; report fields whose type the API server would reject.
/// `settings` `None` keeps every container (exemptions off).
fn build_pod<'a>(
    spec: &'a Node,
    pointer: String,
    settings: Option<&Settings>,
    namespace: Option<&str>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Pod<'a>> {
    if spec.as_map().is_none() {
        errors.push(invalid_type(spec, &pointer, "mapping"));
        return None;
    }
    for key in ["hostNetwork", "hostPID", "hostIPC", "hostUsers"] {
        expect(
            spec.get(key),
            || join(&pointer, key),
            Expected::Bool,
            errors,
        );
    }
    expect(
        spec.get("os"),
        || join(&pointer, "os"),
        Expected::Map,
        errors,
    );
    expect(
        spec.get("os").and_then(|os| os.get("name")),
        || join(&join(&pointer, "os"), "name"),
        Expected::Str,
        errors,
    );
    check_security_context(spec, &pointer, errors);
    check_list(
        spec,
        &|| pointer.clone(),
        "volumes",
        Expected::Map,
        errors,
        |volume, at, errors| {
            expect(
                volume.get("name"),
                || join(&at(), "name"),
                Expected::Str,
                errors,
            );
            expect(
                volume.get("hostPath"),
                || join(&at(), "hostPath"),
                Expected::Map,
                errors,
            );
        },
    );

    let mut containers = Vec::new();
    for (list, key) in ContainerList::ALL {
        let Some(items) = spec.get(key) else { continue };
        let list_pointer = join(&pointer, key);
        if !expect(Some(items), || list_pointer.clone(), Expected::Seq, errors) {
            continue;
        }
        for (index, node) in items.as_seq().unwrap_or_default().iter().enumerate() {
            let container_pointer = format!("{list_pointer}/{index}");
            if !expect(
                Some(node),
                || container_pointer.clone(),
                Expected::Map,
                errors,
            ) {
                continue;
            }
            let name = node.get("name");
            let image = node.get("image");
            expect(
                name,
                || join(&container_pointer, "name"),
                Expected::Str,
                errors,
            );
            expect(
                image,
                || join(&container_pointer, "image"),
                Expected::Str,
                errors,
            );
            check_security_context(node, &container_pointer, errors);
            check_list(
                node,
                &|| container_pointer.clone(),
                "ports",
                Expected::Map,
                errors,
                |port, at, errors| {
                    expect(
                        port.get("hostPort"),
                        || join(&at(), "hostPort"),
                        Expected::Int,
                        errors,
                    );
                },
            );
            let (name, image) = (name.and_then(Node::as_str), image.and_then(Node::as_str));
            if settings.is_some_and(|s| s.container_exempt(name, image, namespace)) {
                continue;
            }
            containers.push(Container {
                node,
                list,
                index,
                pointer: container_pointer,
                name,
                image,
            });
        }
    }
    let os = spec
        .get("os")
        .and_then(|os| os.get("name"))
        .and_then(Node::as_str);
    Some(Pod {
        spec,
        pointer,
        containers,
        windows: os == Some("windows"),
        user_namespace: spec.get("hostUsers").and_then(Node::as_bool) == Some(false),
    })
}

fn check_security_context(owner: &Node, owner_pointer: &str, errors: &mut Vec<Diagnostic>) {
    let pointer = || join(owner_pointer, "securityContext");
    let sc = owner.get("securityContext");
    if !expect(sc, pointer, Expected::Map, errors) {
        return;
    }
    let Some(sc) = sc else { return };
    for key in [
        "privileged",
        "allowPrivilegeEscalation",
        "readOnlyRootFilesystem",
        "runAsNonRoot",
    ] {
        expect(
            sc.get(key),
            || join(&pointer(), key),
            Expected::Bool,
            errors,
        );
    }
    let run_as_user = sc.get("runAsUser");
    let user_pointer = || join(&pointer(), "runAsUser");
    if expect(run_as_user, user_pointer, Expected::Int, errors) {
        // The API server's range for user ids (ValidateNonnegativeField).
        if let Some(node) = run_as_user.filter(|n| {
            n.as_i64()
                .is_some_and(|id| !(0..=i64::from(i32::MAX)).contains(&id))
        }) {
            errors.push(
                Diagnostic::new(
                    ErrorKind::InvalidType,
                    Message::new(
                        "`runAsUser` must be between 0 and 2147483647: the API server rejects this object",
                        "`runAsUser` doit être entre 0 et 2147483647 : le serveur d'API refuse cet objet",
                    ),
                    node.span,
                )
                .at_pointer(user_pointer()),
            );
        }
    }
    let caps = sc.get("capabilities");
    let caps_pointer = || join(&pointer(), "capabilities");
    if expect(caps, caps_pointer, Expected::Map, errors) {
        if let Some(caps) = caps {
            for key in ["add", "drop"] {
                check_list(
                    caps,
                    &caps_pointer,
                    key,
                    Expected::Str,
                    errors,
                    |_, _, _| {},
                );
            }
        }
    }
}

/// A list member (`volumes`, `ports`, `add`) must be a list of `item`s;
/// `members` checks the members of each item that is a mapping, given the
/// item and its pointer. Every pointer, the owner's included, is built only
/// for an error: most objects have none, and formatting them dominated the
/// check of a typical Deployment.
fn check_list(
    owner: &Node,
    owner_pointer: &dyn Fn() -> String,
    key: &str,
    item: Expected,
    errors: &mut Vec<Diagnostic>,
    members: impl Fn(&Node, &dyn Fn() -> String, &mut Vec<Diagnostic>),
) {
    let items = owner.get(key);
    let list_pointer = || join(&owner_pointer(), key);
    if !expect(items, list_pointer, Expected::Seq, errors) {
        return;
    }
    let Some(items) = items.and_then(Node::as_seq) else {
        return;
    };
    for (index, node) in items.iter().enumerate() {
        let pointer = || format!("{}/{index}", list_pointer());
        if expect(Some(node), pointer, item, errors) && !node.is_null() {
            members(node, &pointer, errors);
        }
    }
}

#[derive(Clone, Copy)]
enum Expected {
    Bool,
    Int,
    Str,
    Seq,
    Map,
}

/// `true` when the node is absent, null or of the expected type. The
/// pointer is built only for an error.
fn expect(
    node: Option<&Node>,
    pointer: impl FnOnce() -> String,
    expected: Expected,
    errors: &mut Vec<Diagnostic>,
) -> bool {
    let Some(node) = node else { return true };
    let ok = match (&node.value, expected) {
        (Value::Null, _)
        | (Value::Bool(_), Expected::Bool)
        | (Value::Str(_), Expected::Str)
        | (Value::Seq(_), Expected::Seq)
        | (Value::Map(_), Expected::Map) => true,
        (_, Expected::Int) => node.as_i64().is_some(),
        _ => false,
    };
    if !ok {
        let name = match expected {
            Expected::Bool => "boolean",
            Expected::Int => "integer",
            Expected::Str => "string",
            Expected::Seq => "list",
            Expected::Map => "mapping",
        };
        errors.push(invalid_type(node, &pointer(), name));
    }
    ok
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `a boolean` → `un booléen`: the type names of [`invalid_type`] in French.
fn french_type(name: &str) -> &'static str {
    match name {
        "boolean" => "un booléen",
        "integer" => "un entier",
        "number" => "un nombre",
        "string" => "une chaîne",
        "list" => "une liste",
        "mapping" => "un dictionnaire (mapping)",
        "null" => "null",
        _ => "d'un autre type",
    }
}

fn invalid_type(node: &Node, pointer: &str, expected: &str) -> Diagnostic {
    let field = pointer.rsplit('/').next().unwrap_or(pointer);
    let found = node.type_name();
    // Only a quoted value that would be right unquoted gets the hint
    // (`runAsUser: root` is a user name, not a quoted number).
    let quoted = match (&node.value, expected) {
        (Value::Str(s), "boolean")
            if ["true", "false", "yes", "no", "on", "off", "y", "n"]
                .contains(&s.to_ascii_lowercase().as_str()) =>
        {
            Some(s)
        }
        (Value::Str(s), "integer") if s.parse::<i64>().is_ok() => Some(s),
        _ => None,
    };
    let hint = quoted.map_or_else(String::new, |s| format!(" (write {s} without quotes)"));
    let indice = quoted.map_or_else(String::new, |s| format!(" (écrivez {s} sans guillemets)"));
    Diagnostic::new(
        ErrorKind::InvalidType,
        Message::new(
            format!("`{field}` must be {} {expected}, found {} {found}{hint}: the API server rejects this object", article(expected), article(found)),
            format!("`{field}` doit être {}, pas {}{indice} : le serveur d'API refuse cet objet", french_type(expected), french_type(found)),
        ),
        node.span,
    )
    .at_pointer(pointer)
}
