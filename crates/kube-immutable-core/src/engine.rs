//! Runs the rules over objects: builds the typed pod views, checks field
//! types, applies exemptions and levels, and collects findings.

use std::collections::BTreeSet;

use crate::context::{Container, ContainerList, Pod};
use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::finding::{Finding, Fix, ObjectRef, Related};
use crate::node::{Node, Value};
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
    ignored: Ignored,
    findings: Vec<Finding>,
    suppressed: usize,
}

#[derive(Debug)]
enum Ignored {
    None,
    All,
    Rules(BTreeSet<String>),
}

impl Emitter<'_> {
    pub fn emit(&mut self, rule: &RuleMeta, v: Violation<'_>) {
        self.emit_related(rule, v, None);
    }

    /// [`Emitter::emit`] with the place the finding comes from (the
    /// pod-level field a container inherits).
    pub fn emit_related(&mut self, rule: &RuleMeta, v: Violation<'_>, related: Option<Related>) {
        let Some(severity) = self.settings.severity(rule) else {
            return;
        };
        let ignored = match &self.ignored {
            Ignored::None => false,
            Ignored::All => true,
            Ignored::Rules(ids) => ids.contains(rule.id),
        };
        if ignored {
            self.suppressed += 1;
            return;
        }
        self.findings.push(Finding {
            rule: rule.id,
            severity,
            message: v.message,
            help: v.help,
            object: self.object.clone(),
            container: v.container.and_then(|c| c.name).map(ToOwned::to_owned),
            pointer: v.pointer,
            span: v.span,
            start: None,
            end: None,
            fix: v.fix,
            related,
        });
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

fn check_object(
    object: &Object<'_>,
    settings: &Settings,
    context: &Context<'_>,
    report: &mut Report,
) {
    let Some((spec, pointer)) = object.pod_spec() else {
        return;
    };
    report.objects += 1;
    let namespace = object.namespace();
    // Exemptions a tenant cannot forge first: who asks, where, which
    // sandbox the operator trusts.
    if (context.admission && settings.requester_exempt(&context.requester))
        || settings.namespace_exempt(namespace)
        || settings.runtime_class_exempt(spec.get("runtimeClassName").and_then(Node::as_str))
    {
        return;
    }
    let mut errors = Vec::new();
    let ignored = read_ignore_annotation(object, settings, context, &mut errors);
    let pod = build_pod(spec, pointer, settings, namespace, &mut errors);
    let mut emitter = Emitter {
        settings,
        object: ObjectRef {
            kind: object.kind.to_owned(),
            name: object.name().map(ToOwned::to_owned),
            namespace: namespace.map(ToOwned::to_owned),
            document: object.document,
            pointer: object.pointer.to_owned(),
        },
        ignored,
        findings: Vec::new(),
        suppressed: 0,
    };
    if let Some(pod) = pod {
        // A rule that is off would only build findings for the emitter to
        // drop (messages in two languages, pointers, fixes): skip it.
        for rule in rules::RULES {
            if settings.severity(rule).is_some() {
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

fn read_ignore_annotation(
    object: &Object<'_>,
    settings: &Settings,
    context: &Context<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Ignored {
    let Some(node) = object.annotation(IGNORE_ANNOTATION) else {
        return Ignored::None;
    };
    let pointer = join(
        &join(&join(object.pointer, "metadata"), "annotations"),
        IGNORE_ANNOTATION,
    );
    let Some(value) = node.as_str() else {
        errors.push(invalid_type(node, &pointer, "string"));
        return Ignored::None;
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
        return Ignored::None;
    }
    let namespace = object.namespace();
    // `rule-a,rule-b: reason`; rule ids never contain `:`.
    let ids = value.split_once(':').map_or(value, |(ids, _reason)| ids);
    let mut set = BTreeSet::new();
    let mut refused = Vec::new();
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if id == "all" || id == "*" {
            let narrowed = settings.ignore_annotation.rules.is_some()
                || settings.ignore_annotation.namespaces.is_some();
            if !narrowed {
                return Ignored::All;
            }
            for rule in rules::RULES {
                if settings.annotation_may_ignore(rule.id, namespace) {
                    set.insert(rule.id.to_owned());
                } else {
                    refused.push(rule.id);
                }
            }
            continue;
        }
        if rules::by_id(id).is_none() {
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
        } else if settings.annotation_may_ignore(id, namespace) {
            set.insert(id.to_owned());
        } else if let Some(rule) = rules::by_id(id) {
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
    Ignored::Rules(set)
}

/// Build the pod view; report fields whose type the API server would reject.
fn build_pod<'a>(
    spec: &'a Node,
    pointer: String,
    settings: &Settings,
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
            if settings.container_exempt(name, image, namespace) {
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
