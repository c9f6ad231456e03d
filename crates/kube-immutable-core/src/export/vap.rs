//! The rules as `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicies:
//! the API server itself enforces them in CEL, with no webhook to run.
//!
//! [`validating_admission_policy`] writes one YAML stream for
//! `kubectl apply -f -`: a policy with the error-level rules, bound with
//! `[Deny, Audit]`, and one with the warning-level rules, bound with
//! `[Warn, Audit]`; rules that are off are absent. Each rule is a CEL
//! variable that lists its findings' messages (the core's English ones),
//! and a validation that this list is empty.
//!
//! The CEL mirrors the rules of `rules/*.rs` and the engine's exemptions;
//! the tests of the `tests` crate hold the two equal on a real API server,
//! over the fixtures and the real-world corpus. What CEL cannot see the
//! way a manifest reader does (YAML quirks are gone by then, and the API
//! server fills defaults first) is written down in the README's "Enforce in
//! a cluster".
//!
//! The YAML is written here as text (the core has no YAML emitter), and
//! every value that comes from the settings is quoted and escaped, in YAML
//! and in CEL.

use crate::engine::IGNORE_ANNOTATION;
use crate::finding::Severity;
use crate::rules::{RuleMeta, RULES};
use crate::settings::{ContainerExemption, Settings, SettingsError};

/// The policy (and binding) that denies: the error-level rules.
pub const DENY_POLICY: &str = "kube-immutable-deny";
/// The policy (and binding) that warns: the warning-level rules.
pub const WARN_POLICY: &str = "kube-immutable-warn";

// The CEL is static text, put together at compile time: formatting it at
// run time would weigh kilobytes in the browsers' wasm (the playground and
// the npm package carry this module).

/// One message per container for which `$pred` holds (`c` the container):
/// its label (`init container "name"`), then `$message`.
macro_rules! each {
    ($pred:expr, $message:expr) => {
        concat!(
            "variables.containers.transformList(i, c, ",
            $pred,
            ",\n  variables.labels[i] + ",
            $message,
            ")"
        )
    };
}

/// No finding in a Windows pod (`spec.os.name: windows`).
macro_rules! unless_windows {
    ($findings:expr) => {
        concat!("variables.windows ? [] :\n", $findings)
    };
}

/// Pod Security's baseline capabilities (`added_capabilities.rs`), as a CEL list.
macro_rules! baseline {
    () => {
        "['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']"
    };
}

/// A port `p` that binds a port of the node. The API server writes
/// `hostPort: <containerPort>` into every port of a Pod (not a template)
/// with `hostNetwork: true`: such a port, which the manifest may not have
/// written, is not reported (see the README's "Enforce in a cluster").
macro_rules! host_port {
    () => {
        "p.?hostPort.orValue(0) != 0 &&\n    \
         !(request.kind.kind == 'Pod' && variables.spec.?hostNetwork.orValue(false) && p.hostPort == p.containerPort)"
    };
}

/// The pod spec, where the object's kind holds it (`workload.rs`): the
/// kinds of Kubernetes, whose objects the API server has validated (the
/// path is there), then the custom resources with one pod spec, which a
/// CRD may leave unchecked (a Rollout that points at a Deployment has no
/// template: no pod spec, nothing to judge).
const SPEC: &str = "request.kind.kind == 'Pod' ? object.spec :\n\
    request.kind.kind == 'PodTemplate' ? object.template.spec :\n\
    request.kind.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec :\n\
    request.kind.group in ['', 'apps', 'batch'] ? object.spec.template.spec :\n\
    request.kind.kind == 'Revision' ? object.?spec.orValue({}) :\n\
    request.kind.kind == 'ScaledJob' ? object.?spec.?jobTargetRef.?template.?spec.orValue({}) :\n\
    object.?spec.?template.?spec.orValue({})";

/// The variables every policy starts with: comment, name, expression
/// (`lists` depends on the settings: [`lists`]).
const BASE_VARIABLES: &[(&str, &str, &str)] = &[
    ("", "spec", SPEC),
    ("", "lists", ""),
    ("", "containers", "variables.lists.flatten()"),
    ("", "labels",
        "variables.lists.transformList(i, list, list.map(c,\n  \
         ['init container \"', 'container \"', 'ephemeral container \"'][i] + c.?name.orValue('') + '\"')).flatten()",
    ),
    ("", "baseline", baseline!()),
    (
        "Windows pods: exempt from the Linux-only rules",
        "windows",
        "variables.spec.?os.?name.orValue('') == 'windows'",
    ),
];

/// Every rule id, as a CEL list.
const ALL_RULES: &str = "['privileged', 'host-namespaces', 'allow-privilege-escalation', 'privilege-escalation-not-disabled', \
    'run-as-root', 'may-run-as-root', 'writable-root-filesystem', 'host-path-volumes', 'host-ports', 'added-capabilities', \
    'capabilities-not-restricted', 'mutable-image-tag', 'image-not-pinned']";

/// Each rule: its id, its CEL variable, and the CEL list of its findings'
/// messages (the core's English ones, naming the container and the field).
/// The conditions mirror `rules/*.rs`.
const RULE_CEL: &[(&str, &str, &str)] = &[
    (
        "privileged",
        "privileged",
        each!(
            "c.?securityContext.?privileged.orValue(false)",
            "' is privileged (`privileged: true`): it can change the node and itself'"
        ),
    ),
    (
        "host-namespaces",
        "hostNamespaces",
        "(variables.spec.?hostNetwork.orValue(false) ? [\"the pod uses the host's network namespace (`hostNetwork: true`)\"] : []) +\n\
         (variables.spec.?hostPID.orValue(false) ? [\"the pod uses the host's process (PID) namespace (`hostPID: true`)\"] : []) +\n\
         (variables.spec.?hostIPC.orValue(false) ? [\"the pod uses the host's IPC namespace (`hostIPC: true`)\"] : [])",
    ),
    (
        "allow-privilege-escalation",
        "allowPrivilegeEscalation",
        unless_windows!(each!(
            "c.?securityContext.?allowPrivilegeEscalation.orValue(false)",
            "' allows privilege escalation (`allowPrivilegeEscalation: true`)'"
        )),
    ),
    (
        "privilege-escalation-not-disabled",
        "privilegeEscalationNotDisabled",
        unless_windows!(each!(
            "!c.?securityContext.?allowPrivilegeEscalation.hasValue()",
            "' does not set `allowPrivilegeEscalation: false`, so escalation is allowed'"
        )),
    ),
    (
        "run-as-root",
        "runAsRoot",
        concat!(
            "(variables.spec.?securityContext.?runAsUser.orValue(-1) == 0 ? ['the pod runs its containers as root (`runAsUser: 0`)'] : []) +\n",
            each!(
                "c.?securityContext.?runAsUser.orValue(-1) == 0",
                "' runs as root (`runAsUser: 0`)'"
            )
        ),
    ),
    // `hostUsers: false` exempts the pod; a container's own `runAsNonRoot`
    // wins over the pod's.
    (
        "may-run-as-root",
        "mayRunAsRoot",
        concat!(
            "!variables.spec.?hostUsers.orValue(true) ? [] :\n\
             (!variables.spec.?securityContext.?runAsNonRoot.orValue(true) ? ['the pod allows its containers to run as root (`runAsNonRoot: false`)'] : []) +\n",
            each!(
                "!c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false))",
                "(c.?securityContext.?runAsNonRoot.hasValue() ? ' allows running as root (`runAsNonRoot: false`)'\n    \
                 : ' may run as root: neither it nor the pod sets `runAsNonRoot: true`')"
            )
        ),
    ),
    (
        "writable-root-filesystem",
        "writableRootFilesystem",
        unless_windows!(each!(
            "!c.?securityContext.?readOnlyRootFilesystem.orValue(false)",
            "(c.?securityContext.?readOnlyRootFilesystem.hasValue() ? ' has a writable root filesystem (`readOnlyRootFilesystem: false`)'\n    \
             : ' has a writable root filesystem: `readOnlyRootFilesystem` is not `true`')"
        )),
    ),
    (
        "host-path-volumes",
        "hostPathVolumes",
        "variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v,\n  \
         'volume \"' + v.name + '\" mounts ' + (v.hostPath.?path.hasValue() ? \"the node's `\" + v.hostPath.path + '`' : 'a path of the node') +\n  \
         ' into the pod (`hostPath`)')",
    ),
    (
        "host-ports",
        "hostPorts",
        concat!(
            "variables.containers.transformList(i, c, c.?ports.orValue([]).exists(p, ",
            host_port!(),
            "),\n  c.ports.filter(p, ",
            host_port!(),
            ").map(p,\n    \
             variables.labels[i] + ' binds port ' + string(p.hostPort) + ' of the node (`hostPort: ' + string(p.hostPort) + '`)')).flatten()"
        ),
    ),
    (
        "added-capabilities",
        "addedCapabilities",
        concat!(
            "variables.containers.transformList(i, c, c.?securityContext.?capabilities.?add.orValue([]).exists(x, !(x in ",
            "variables.baseline",
            ")),\n  c.securityContext.capabilities.add.filter(x, !(x in ",
            "variables.baseline",
            ")).map(x,\n    \
             variables.labels[i] + ' adds capability `' + x + \"`, beyond Pod Security's baseline\")).flatten()"
        ),
    ),
    (
        "capabilities-not-restricted",
        "capabilitiesNotRestricted",
        unless_windows!(concat!(
            each!(
                "!('ALL' in c.?securityContext.?capabilities.?drop.orValue([]))",
                "' does not drop all capabilities (`ALL` is not in `capabilities.drop`)'"
            ),
            " +\nvariables.containers.transformList(i, c,\n  \
             c.?securityContext.?capabilities.?add.orValue([]).exists(x, x != 'NET_BIND_SERVICE' && x in ",
            "variables.baseline",
            "),\n  c.securityContext.capabilities.add.filter(x, x != 'NET_BIND_SERVICE' && x in ",
            "variables.baseline",
            ").map(x,\n    \
             variables.labels[i] + ' adds capability `' + x + '`: the restricted level allows only `NET_BIND_SERVICE`')).flatten()"
        )),
    ),
    // No digest (`@`), and no tag or `latest` after the last `/`
    // (`ImageRef::parse`).
    (
        "mutable-image-tag",
        "mutableImageTag",
        each!(
            "c.?image.orValue('').trim() != '' && !c.image.contains('@') &&\n  \
             c.image.matches('(?s)^(.*/)?[^/:]*(:|:latest)?$')",
            "' runs `' + c.image + (c.image.endsWith(':latest')\n    \
             ? '`: the `latest` tag moves, so the same manifest runs different code tomorrow'\n    \
             : '` without a tag: Kubernetes pulls `latest`, whatever it is that day')"
        ),
    ),
    (
        "image-not-pinned",
        "imageNotPinned",
        each!(
            "c.?image.orValue('').trim() != '' && !c.image.matches('^[^@]*@sha256:[0-9a-fA-F]{64}$')",
            "' runs `' + c.image + '`, not pinned by digest: the registry can serve other code under it'"
        ),
    ),
];

/// The rule that is not exported: `unused-ignore` judges the ignore
/// annotation itself (a name that silences nothing), a repository's
/// hygiene, which `kube-immutable check` reports where the files are kept.
pub const NOT_EXPORTED: &[&str] = &["unused-ignore"];

/// The ValidatingAdmissionPolicies and bindings that enforce `settings`,
/// as one YAML stream; refused as the policy module refuses them
/// ([`Settings::validate_for_admission`]: this is admission too).
pub fn validating_admission_policy(settings: &Settings) -> Result<String, SettingsError> {
    settings.validate_for_admission()?;
    // `RULE_CEL` lists the rules in `RULES`' order (a test holds it so),
    // all but [`NOT_EXPORTED`].
    let at = |level: Option<Severity>| -> Vec<Rule> {
        RULES
            .iter()
            .filter(|r| settings.severity(r) == level)
            .filter_map(|r| {
                let &(_, var, cel) = RULE_CEL.iter().find(|(id, ..)| *id == r.id)?;
                Some((*r, var, cel))
            })
            .collect()
    };
    let (deny, warn) = (at(Some(Severity::Error)), at(Some(Severity::Warning)));
    let mut out = String::new();
    cat(
        &mut out,
        &[
            "# kube-immutable ",
            crate::VERSION,
            ": the rules as ValidatingAdmissionPolicies (Kubernetes 1.30+).\n\
             # Denied (kube-immutable-deny): ",
            &ids(&deny),
            ".\n# Warned (kube-immutable-warn): ",
            &ids(&warn),
            ".\n# Off: ",
            &ids(&at(None)),
            ".\n# Not exported: unused-ignore (it judges the ignore annotation, a repository's concern).\n",
        ],
    );
    // The exemptions are in the objects, each with its comment: the
    // bindings' namespaceSelector, the policies' matchConditions, the
    // variables `lists` (images, container names) and `lifted`.
    out.push_str(if settings.annotation_allowed(true) {
        "# kube-immutable.io/ignore may turn rules off as `ignoreAnnotation` allows.\n"
    } else {
        "# kube-immutable.io/ignore is not honoured: nothing inside an object lifts a rule.\n"
    });
    if deny.is_empty() && warn.is_empty() {
        out.push_str("# Every rule is off: there is nothing to enforce.\n");
    }
    // With every rule off, nothing is enforced and nothing needs saying.
    let notice = if deny.is_empty() && warn.is_empty() {
        None
    } else {
        notice(settings)
    };
    for (name, action, rules) in [(DENY_POLICY, "Deny", &deny), (WARN_POLICY, "Warn", &warn)] {
        let deny = action == "Deny";
        let notice = if deny { None } else { notice.as_ref() };
        if !rules.is_empty() || notice.is_some() {
            policy(&mut out, settings, name, rules, deny, notice);
            binding(&mut out, settings, name, action);
        }
    }
    Ok(out)
}

/// The warning that the ignore annotation lifts nothing here, as the
/// core's `kube-immutable.io/ignore is not honoured` diagnostic:
/// `(condition, message expression)`, or `None` when the settings let it
/// lift rules (`ignoreAnnotation.allowed: true`; where they narrow it, what
/// it may not lift is still reported, without the core's warning naming it).
fn notice(settings: &Settings) -> Option<(&'static str, &'static str)> {
    (!settings.annotation_allowed(true)).then_some((
        "!object.metadata.?annotations[?'kube-immutable.io/ignore'].hasValue()",
        "'kube-immutable.io/ignore is not honoured by this policy: an object cannot lift a rule for itself \
         unless the settings allow it (`ignoreAnnotation.allowed: true`)'",
    ))
}

/// Append every piece.
fn cat(out: &mut String, pieces: &[&str]) {
    for piece in pieces {
        out.push_str(piece);
    }
}

/// `a, b, c`, or `none`.
fn ids(rules: &[Rule]) -> String {
    let mut out = String::new();
    for (i, (rule, _, _)) in rules.iter().enumerate() {
        cat(&mut out, &[if i == 0 { "" } else { ", " }, rule.id]);
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// A rule, its CEL variable and findings (`RULE_CEL`).
type Rule = (&'static RuleMeta, &'static str, &'static str);

fn policy(
    out: &mut String,
    settings: &Settings,
    name: &str,
    rules: &[Rule],
    deny: bool,
    notice: Option<&(&str, &str)>,
) {
    cat(
        out,
        &[
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: ",
            name,
            LABELS,
            crate::VERSION,
            "\"\nspec:\n  \
             failurePolicy: Fail\n  \
             matchConstraints:\n    \
             matchPolicy: Equivalent\n    \
             resourceRules:\n      \
             - apiGroups: [\"\"]\n        apiVersions: [v1]\n        \
             # pods/ephemeralcontainers: kubectl debug\n        \
             resources: [pods, pods/ephemeralcontainers, podtemplates, replicationcontrollers]\n        \
             operations: [CREATE, UPDATE]\n      \
             - apiGroups: [apps]\n        apiVersions: [v1]\n        \
             resources: [deployments, replicasets, statefulsets, daemonsets]\n        \
             operations: [CREATE, UPDATE]\n      \
             - apiGroups: [batch]\n        apiVersions: [v1]\n        \
             resources: [jobs, cronjobs]\n        \
             operations: [CREATE, UPDATE]\n      \
             # custom resources with one pod spec (Argo Rollouts, OpenShift, Knative, KEDA)\n      \
             - apiGroups: [argoproj.io]\n        apiVersions: [\"*\"]\n        \
             resources: [rollouts]\n        \
             operations: [CREATE, UPDATE]\n      \
             - apiGroups: [apps.openshift.io]\n        apiVersions: [\"*\"]\n        \
             resources: [deploymentconfigs]\n        \
             operations: [CREATE, UPDATE]\n      \
             - apiGroups: [serving.knative.dev]\n        apiVersions: [\"*\"]\n        \
             resources: [services, configurations, revisions]\n        \
             operations: [CREATE, UPDATE]\n      \
             - apiGroups: [keda.sh]\n        apiVersions: [\"*\"]\n        \
             resources: [scaledjobs]\n        \
             operations: [CREATE, UPDATE]\n",
        ],
    );
    match_conditions(out, settings);
    out.push_str("  variables:\n");
    for &(comment, name, expression) in BASE_VARIABLES {
        if name == "lists" {
            variable(out, comment, name, &lists(settings));
        } else {
            variable(out, comment, name, expression);
        }
    }
    let lifting = annotation(out, settings);
    let mut lists = String::new();
    let mut names = String::new();
    for (i, &(rule, var, cel)) in rules.iter().enumerate() {
        cat(out, &["    # ", rule.id, ": ", rule.summary.en, "\n"]);
        if lifting {
            let lifted = ["'", rule.id, "' in variables.lifted ? [] : (\n", cel, ")"].concat();
            variable(out, "", var, &lifted);
        } else {
            variable(out, "", var, cel);
        }
        let sep = if i == 0 { "" } else { ", " };
        cat(&mut lists, &[sep, "variables.", var]);
        cat(&mut names, &[sep, "'", rule.id, "'"]);
    }
    if !rules.is_empty() {
        summaries(out, &lists, &names, deny);
    }
    out.push_str("  validations:\n");
    for (i, &(rule, var, _)) in rules.iter().enumerate() {
        let index = i.to_string();
        let fallback = ["kube-immutable: ", rule.id, ": ", rule.summary.en].concat();
        cat(
            out,
            &[
                "    # ",
                rule.id,
                "\n    - expression: size(variables.",
                var,
                ") == 0\n      messageExpression: ",
                if deny {
                    "string(variables.message)"
                } else {
                    "|-\n        'kube-immutable: ' + string(variables.summaries["
                },
                if deny { "" } else { &index },
                if deny { "\n" } else { "])\n" },
                "      message: ",
                &yaml_string(&fallback),
                "\n      reason: Forbidden\n",
            ],
        );
    }
    if let Some((condition, message)) = notice {
        out.push_str("    # kube-immutable.io/ignore\n    - expression: ");
        block_or_plain(out, condition);
        out.push_str("      messageExpression: ");
        block_or_plain(out, message);
        out.push_str("      reason: Forbidden\n");
    }
    if rules.is_empty() {
        return;
    }
    cat(
        out,
        &[
            "  auditAnnotations:\n    # ",
            name,
            "/rules: the rules the object breaks.\n    \
             - key: rules\n      valueExpression: |-\n        [",
            &lists,
            "].transformList(i, found, size(found) > 0,\n          [",
            &names,
            "][i]).join(', ')\n",
        ],
    );
}

/// The `summaries` variable (each rule's findings in one line) and, in the
/// deny policy, the denial that names them all.
fn summaries(out: &mut String, lists: &str, names: &str, deny: bool) {
    variable(
        out,
        "per rule above: `rule-id: finding; finding; and N more`, or ''",
        "summaries",
        &[
            "[",
            lists,
            "].transformList(i, found, size(found) == 0 ? '' :\n  [",
            names,
            "][i] + ': ' +\n  \
             (size(found) <= 3 ? found.join('; ') : found.slice(0, 3).join('; ') + '; and ' + string(size(found) - 3) + ' more'))",
        ]
        .concat(),
    );
    if deny {
        variable(
            out,
            "every finding: kubectl shows the first failing validation's message only",
            "denial",
            "'kube-immutable: ' + request.kind.kind + '/' + object.metadata.?name.orValue('') + ' is not immutable: ' +\n  \
             variables.summaries.filter(s, s != '').join(' | ')",
        );
        variable(
            out,
            "cut below the 5,120 bytes a message may have",
            "message",
            "bytes(variables.denial).size() <= 5000 ? variables.denial : variables.denial.substring(0, 1000) + ' …'",
        );
    }
}

/// Exemptions by who asks and by runtime class, as `matchConditions`: a
/// request that fails one is not judged at all (`Settings::requester_exempt`,
/// `runtime_class_exempt`).
fn match_conditions(out: &mut String, settings: &Settings) {
    let ex = &settings.exemptions;
    let users: Vec<String> = ex
        .usernames
        .iter()
        .cloned()
        .chain(ex.service_accounts.iter().map(|sa| {
            // `namespace/name` → the service account's user name.
            let (namespace, name) = sa.split_once('/').unwrap_or((sa, ""));
            ["system:serviceaccount:", namespace, ":", name].concat()
        }))
        .collect();
    if users.is_empty() && ex.groups.is_empty() && ex.runtime_classes.is_empty() {
        return;
    }
    out.push_str("  matchConditions:\n");
    for (list, condition) in [
        (
            &users,
            "    # exempt users and service accounts\n    \
             - name: exempt-users\n      expression: \"!(request.userInfo.?username.orValue('') in [",
        ),
        (
            &ex.groups,
            "    # exempt groups\n    \
             - name: exempt-groups\n      expression: \"!request.userInfo.?groups.orValue([]).exists(g, g in [",
        ),
    ] {
        if !list.is_empty() {
            cat(out, &[condition, &cel_list(list), "])\"\n"]);
        }
    }
    if !ex.runtime_classes.is_empty() {
        cat(
            out,
            &["    # exempt runtime classes\n    \
                 - name: exempt-runtime-classes\n      expression: |-\n        !((\n"],
        );
        block(out, SPEC, "          ");
        cat(
            out,
            &[
                "        ).?runtimeClassName.orValue('') in [",
                &cel_list(&ex.runtime_classes),
                "])\n",
            ],
        );
    }
}

/// The variables of the ignore annotation: `ignored` (the rule ids it
/// names) and `lifted` (the rules it turns off here, as `ignoreAnnotation`
/// allows). Returns whether the annotation may lift rules at all.
fn annotation(out: &mut String, settings: &Settings) -> bool {
    let a = &settings.ignore_annotation;
    if !settings.annotation_allowed(true) {
        return false;
    }
    variable(
        out,
        "the rule ids kube-immutable.io/ignore names (`rule-a,rule-b: reason`)",
        "ignored",
        "object.metadata.?annotations[?'kube-immutable.io/ignore'].orValue('').split(':')[0].split(',').map(s, s.trim())",
    );
    // `Settings::annotation_may_ignore`: whether it may turn off rule `r`
    // here (`None`: anything, anywhere).
    let may = |r: &str| -> Option<String> {
        let mut may = Vec::new();
        if let Some(rules) = &a.rules {
            may.push([r, " in [", &cel_list(rules), "]"].concat());
        }
        if let Some(namespaces) = &a.namespaces {
            may.push(["request.namespace in [", &cel_list(namespaces), "]"].concat());
        }
        (!may.is_empty()).then(|| may.join(" && "))
    };
    let named =
        "('all' in variables.ignored || '*' in variables.ignored || r in variables.ignored)";
    let lifted = match may("r") {
        None => [ALL_RULES, ".filter(r, ", named, ")"].concat(),
        Some(may) => [ALL_RULES, ".filter(r, ", named, " &&\n  ", &may, ")"].concat(),
    };
    variable(out, "the rules it turns off here", "lifted", &lifted);
    debug_assert_eq!(IGNORE_ANNOTATION, "kube-immutable.io/ignore");
    true
}

const LABELS: &str =
    "\n  labels:\n    app.kubernetes.io/name: kube-immutable\n    app.kubernetes.io/version: \"";

fn binding(out: &mut String, settings: &Settings, name: &str, action: &str) {
    cat(
        out,
        &[
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: ",
            name,
            LABELS,
            crate::VERSION,
            "\"\nspec:\n  policyName: ",
            name,
            "\n  validationActions: [",
            action,
            ", Audit]\n",
        ],
    );
    let namespaces = &settings.exemptions.namespaces;
    if !namespaces.is_empty() {
        cat(
            out,
            &[
                "  matchResources:\n    \
                 # exempt namespaces\n    \
                 namespaceSelector:\n      matchExpressions:\n        \
                 - key: kubernetes.io/metadata.name\n          operator: NotIn\n          values: [",
                &quoted_list(namespaces, '"'),
                "]\n",
            ],
        );
    }
}

/// The `lists` variable: the three container lists, minus the containers
/// exempt by image or by name as the exemption allows
/// (`Settings::container_exempt`).
fn lists(settings: &Settings) -> String {
    let mut out = String::from(
        "[variables.spec.?initContainers.orValue([]), variables.spec.?containers.orValue([]),\n \
         variables.spec.?ephemeralContainers.orValue([])]",
    );
    let ex = &settings.exemptions;
    let mut clauses = Vec::new();
    if !ex.images.is_empty() {
        clauses.push(image_matches(&ex.images));
    }
    for exemption in &ex.containers {
        let mut clause = [
            "c.?name.orValue('').matches(",
            &cel_string(&glob_regex(&[exemption.name()])),
            ")",
        ]
        .concat();
        if let ContainerExemption::Tied(tied) = exemption {
            if !tied.images.is_empty() {
                cat(&mut clause, &[" && ", &image_matches(&tied.images)]);
            }
            if !tied.namespaces.is_empty() {
                cat(
                    &mut clause,
                    &[
                        " && request.namespace in [",
                        &cel_list(&tied.namespaces),
                        "]",
                    ],
                );
            }
        }
        clauses.push(clause);
    }
    if clauses.is_empty() {
        return out;
    }
    cat(
        &mut out,
        &[
            ".map(list, list.filter(c, !(\n  ",
            &clauses.join(" ||\n  "),
            ")))",
        ],
    );
    out
}

/// `c`'s image matches one of `globs` (a container without one matches none).
fn image_matches(globs: &[String]) -> String {
    let globs: Vec<&str> = globs.iter().map(String::as_str).collect();
    [
        "(c.?image.hasValue() && c.image.matches(",
        &cel_string(&glob_regex(&globs)),
        "))",
    ]
    .concat()
}

/// `'a', 'b'`: CEL string literals.
fn cel_list(items: &[String]) -> String {
    quoted_list(items, '\'')
}

/// `- name: NAME` with its comment (if any) and expression.
fn variable(out: &mut String, comment: &str, name: &str, expression: &str) {
    if !comment.is_empty() {
        cat(out, &["    # ", comment, "\n"]);
    }
    cat(out, &["    - name: ", name, "\n      expression: "]);
    block_or_plain(out, expression);
}

/// A CEL expression as a YAML value under a list item's key, with its line
/// end: plain when it is one line YAML reads as it is, else a literal
/// block (`|-`), whose lines YAML keeps as they are.
fn block_or_plain(out: &mut String, expression: &str) {
    let plain = expression
        .bytes()
        .all(|b| !matches!(b, b'\n' | b'#' | b'\'' | b'"' | b':'))
        && expression
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if plain {
        cat(out, &[expression, "\n"]);
    } else {
        out.push_str("|-\n");
        block(out, expression, "        ");
    }
}

/// The lines of `text`, each after `pad`.
fn block(out: &mut String, text: &str, pad: &str) {
    for line in text.split('\n') {
        cat(out, &[pad, line, "\n"]);
    }
}

/// Globs of the settings (`*` any run, `?` one character) as one RE2
/// expression matching whole strings, as `settings::glob_match` does.
fn glob_regex(globs: &[&str]) -> String {
    let mut re = String::from("(?s)^(?:");
    for (i, glob) in globs.iter().enumerate() {
        if i > 0 {
            re.push('|');
        }
        for ch in glob.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                // RE2's metacharacters, escaped.
                _ if "\\.+()|[]{}^$".contains(ch) => {
                    re.push('\\');
                    re.push(ch);
                }
                _ => re.push(ch),
            }
        }
    }
    re.push_str(")$");
    re
}

/// A CEL string literal, ASCII only (a YAML block keeps it as it is).
fn cel_string(text: &str) -> String {
    quoted(text, '\'')
}

/// A YAML double-quoted scalar, ASCII only.
fn yaml_string(text: &str) -> String {
    quoted(text, '"')
}

/// `text` between `quote`s, with `\` and `quote` escaped and everything
/// outside printable ASCII as `\uXXXX` or `\UXXXXXXXX` (the same escapes in
/// CEL and in YAML).
fn quoted(text: &str, quote: char) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for ch in text.chars() {
        if ch == '\\' || ch == quote {
            out.push('\\');
            out.push(ch);
        } else if (' '..='~').contains(&ch) {
            out.push(ch);
        } else {
            let code = u32::from(ch);
            let digits = if code <= 0xFFFF { 4 } else { 8 };
            out.push('\\');
            out.push(if digits == 4 { 'u' } else { 'U' });
            for shift in (0..digits).rev() {
                out.push(char::from(HEX[((code >> (shift * 4)) & 0xF) as usize]));
            }
        }
    }
    out.push(quote);
    out
}

/// `"a", "b"` (YAML) or `'a', 'b'` (CEL).
fn quoted_list(items: &[String], quote: char) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        cat(
            &mut out,
            &[if i == 0 { "" } else { ", " }, &quoted(item, quote)],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_cel_in_order() {
        let ids: Vec<&str> = RULE_CEL.iter().map(|(id, _, _)| *id).collect();
        let rules: Vec<&str> = RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| !NOT_EXPORTED.contains(id))
            .collect();
        assert_eq!(ids, rules);
        for (id, var, _) in RULE_CEL {
            // The variable is the id in camel case: a CEL identifier.
            let camel: String = id
                .split('-')
                .enumerate()
                .map(|(i, w)| {
                    if i == 0 {
                        w.to_owned()
                    } else {
                        w[..1].to_ascii_uppercase() + &w[1..]
                    }
                })
                .collect();
            assert_eq!(*var, camel);
        }
        let listed: Vec<String> = rules.iter().map(|id| format!("'{id}'")).collect();
        assert_eq!(
            ALL_RULES.replace("\n", ""),
            format!("[{}]", listed.join(", "))
        );
    }

    #[test]
    fn literals_are_ascii_and_escaped() {
        assert_eq!(cel_string("a'b\\c"), r"'a\'b\\c'");
        assert_eq!(cel_string("é\n😀"), r"'\u00e9\u000a\U0001f600'");
        assert_eq!(yaml_string("a\"b\u{2028}"), r#""a\"b\u2028""#);
    }

    #[test]
    fn globs_become_anchored_regexes() {
        assert_eq!(
            glob_regex(&["registry.k8s.io/*", "a?c"]),
            r"(?s)^(?:registry\.k8s\.io/.*|a.c)$"
        );
        assert_eq!(
            glob_regex(&["a+b(c)|[d]{e}^$\\"]),
            r"(?s)^(?:a\+b\(c\)\|\[d\]\{e\}\^\$\\)$"
        );
    }

    #[test]
    fn levels_choose_the_policies() {
        let text = validating_admission_policy(&Settings::default()).unwrap();
        assert!(text.contains("name: kube-immutable-deny"));
        assert!(text.contains("name: kube-immutable-warn"));
        assert!(text.contains("validationActions: [Deny, Audit]"));
        assert!(text.contains("validationActions: [Warn, Audit]"));
        // image-not-pinned is off by default: absent.
        assert!(!text.contains("variables.imageNotPinned"));
        let mut all_off = Settings::default();
        for rule in RULES {
            all_off.rules.insert(rule.id.to_owned(), crate::Level::Off);
        }
        let text = validating_admission_policy(&all_off).unwrap();
        assert!(!text.contains("kind:"), "{text}");
        assert!(text.contains("Every rule is off"));
    }
}
