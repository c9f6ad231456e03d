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

use std::fmt::Write;

use crate::finding::Severity;
use crate::rules::{RuleMeta, RULES};
use crate::settings::Settings;

/// The policy (and binding) that denies: the error-level rules.
pub const DENY_POLICY: &str = "kube-immutable-deny";
/// The policy (and binding) that warns: the warning-level rules.
pub const WARN_POLICY: &str = "kube-immutable-warn";

/// Pod Security's baseline capabilities, as a CEL list.
const BASELINE: &str = "['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']";

/// A port `p` that binds a port of the node. The API server writes
/// `hostPort: <containerPort>` into every port of a Pod (not a template)
/// with `hostNetwork: true`: such a port, which the manifest may not have
/// written, is not reported (see the README's "Enforce in a cluster").
const HOST_PORT: &str = "p.?hostPort.orValue(0) != 0 &&\n    \
    !(request.kind.kind == 'Pod' && variables.spec.?hostNetwork.orValue(false) && p.hostPort == p.containerPort)";

/// The resources whose objects hold a pod spec, by API group: the
/// workload kinds of `workload.rs`. `pods/ephemeralcontainers` is how
/// `kubectl debug` adds a container to a running pod.
const RESOURCES: &[(&str, &str)] = &[
    (
        "\"\"",
        "[pods, pods/ephemeralcontainers, podtemplates, replicationcontrollers]",
    ),
    (
        "apps",
        "[deployments, replicasets, statefulsets, daemonsets]",
    ),
    ("batch", "[jobs, cronjobs]"),
];

/// The ValidatingAdmissionPolicies and bindings that enforce `settings`,
/// as one YAML stream.
pub fn validating_admission_policy(settings: &Settings) -> String {
    let at = |severity| -> Vec<&'static RuleMeta> {
        RULES
            .iter()
            .copied()
            .filter(|r| settings.severity(r) == Some(severity))
            .collect()
    };
    let (deny, warn) = (at(Severity::Error), at(Severity::Warning));
    let mut out = String::new();
    header(&mut out, settings, &deny, &warn);
    for (name, action, rules) in [(DENY_POLICY, "Deny", &deny), (WARN_POLICY, "Warn", &warn)] {
        if rules.is_empty() {
            continue;
        }
        policy(&mut out, settings, name, rules, action == "Deny");
        binding(&mut out, settings, name, action);
    }
    out
}

fn header(out: &mut String, settings: &Settings, deny: &[&RuleMeta], warn: &[&RuleMeta]) {
    let ids = |rules: &[&RuleMeta]| {
        if rules.is_empty() {
            "none".to_owned()
        } else {
            rules.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
        }
    };
    let off: Vec<&RuleMeta> = RULES
        .iter()
        .copied()
        .filter(|r| settings.severity(r).is_none())
        .collect();
    let _ = write!(
        out,
        "# kube-immutable {version}: its rules as ValidatingAdmissionPolicies, enforced by the\n\
         # API server itself (Kubernetes 1.30 or later), with no webhook to run.\n\
         #   kube-immutable export vap [--config FILE] | kubectl apply -f -\n\
         # Denied ({DENY_POLICY}, bound with [Deny, Audit]): {deny}.\n\
         # Warned ({WARN_POLICY}, bound with [Warn, Audit]): {warn}.\n\
         # Off: {off}.\n",
        version = crate::VERSION,
        deny = ids(deny),
        warn = ids(warn),
        off = ids(&off),
    );
    let ex = &settings.exemptions;
    if !ex.namespaces.is_empty() {
        let _ = writeln!(
            out,
            "# Exempt namespaces (the bindings' namespaceSelector): {}.",
            quoted_list(&ex.namespaces)
        );
    }
    if !ex.images.is_empty() || !ex.containers.is_empty() {
        out.push_str(
            "# Exempt containers (by image and name globs, in CEL): see the variable `lists`.\n",
        );
    }
    out.push_str(
        "# The kube-immutable.io/ignore annotation is not honoured: nothing inside an\n\
         # object lifts a rule.\n",
    );
    if deny.is_empty() && warn.is_empty() {
        out.push_str("# Every rule is off: there is nothing to enforce.\n");
    }
}

fn policy(out: &mut String, settings: &Settings, name: &str, rules: &[&RuleMeta], deny: bool) {
    let _ = write!(
        out,
        "---\n\
         apiVersion: admissionregistration.k8s.io/v1\n\
         kind: ValidatingAdmissionPolicy\n\
         metadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: kube-immutable\n    \
         app.kubernetes.io/version: \"{version}\"\n\
         spec:\n  \
         # An error in an expression (or a cost over the budget) fails closed.\n  \
         failurePolicy: Fail\n  \
         matchConstraints:\n    \
         # Every version of these resources is converted to the one below.\n    \
         matchPolicy: Equivalent\n    \
         resourceRules:\n",
        version = crate::VERSION,
    );
    for (group, resources) in RESOURCES {
        let _ = write!(
            out,
            "      - apiGroups: [{group}]\n        apiVersions: [v1]\n        resources: {resources}\n        operations: [CREATE, UPDATE]\n"
        );
    }
    out.push_str("  variables:\n");
    variable(
        out,
        "spec",
        "the pod spec, where the object's kind holds it",
        "request.kind.kind == 'Pod' ? object.spec :\n\
         request.kind.kind == 'PodTemplate' ? object.template.spec :\n\
         request.kind.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec :\n\
         object.spec.template.spec",
    );
    variable(
        out,
        "lists",
        "the init, regular and ephemeral containers",
        &lists(settings),
    );
    variable(
        out,
        "containers",
        "every container, in that order",
        "variables.lists.flatten()",
    );
    variable(
        out,
        "labels",
        "each container as messages name it",
        "variables.lists.transformList(i, list, list.map(c,\n  \
         ['init container \"', 'container \"', 'ephemeral container \"'][i] + c.name + '\"')).flatten()",
    );
    variable(
        out,
        "windows",
        "Windows pods: the Linux-only rules do not apply",
        "variables.spec.?os.?name.orValue('') == 'windows'",
    );
    for rule in rules {
        variable(
            out,
            &camel(rule.id),
            &format!("{}: {}", rule.id, lowercase_first(rule.summary.en)),
            &findings(rule.id),
        );
    }
    let lists: Vec<String> = rules
        .iter()
        .map(|r| format!("variables.{}", camel(r.id)))
        .collect();
    let ids: Vec<String> = rules.iter().map(|r| format!("'{}'", r.id)).collect();
    let (lists, ids) = (lists.join(", "), ids.join(", "));
    variable(
        out,
        "summaries",
        "per rule, in the order above: `rule-id: finding; finding; and N more`, or '' when it finds nothing",
        &format!(
            "[{lists}].transformList(i, found, size(found) == 0 ? '' :\n  \
             [{ids}][i] + ': ' +\n  \
             (size(found) <= 3 ? found.join('; ') : found.slice(0, 3).join('; ') + '; and ' + string(size(found) - 3) + ' more'))"
        ),
    );
    if deny {
        variable(
            out,
            "denial",
            "every finding of every rule: the API server shows the message of the first failing validation only",
            "'kube-immutable: ' + request.kind.kind + '/' + object.metadata.?name.orValue('') + ' is not immutable: ' +\n  \
             variables.summaries.filter(s, s != '').join(' | ')",
        );
        variable(
            out,
            "message",
            "the denial, cut where the API server would refuse it (5,120 bytes)",
            "bytes(variables.denial).size() <= 5000 ? variables.denial : variables.denial.substring(0, 1000) + ' …'",
        );
    }
    out.push_str("  validations:\n");
    for (index, rule) in rules.iter().enumerate() {
        let message = if deny {
            "string(variables.message)".to_owned()
        } else {
            format!("'kube-immutable: ' + string(variables.summaries[{index}])")
        };
        let _ = write!(
            out,
            "    # {id}\n    - expression: size(variables.{var}) == 0\n      messageExpression: {message}      \
             # If the message cannot be made (its cost is over the budget).\n      \
             message: {fallback}\n      reason: Forbidden\n",
            id = rule.id,
            var = camel(rule.id),
            message = block_or_plain(&message, 6),
            fallback = yaml_string(&format!("kube-immutable: {}: {}", rule.id, lowercase_first(rule.summary.en))),
        );
    }
    let _ = write!(
        out,
        "  auditAnnotations:\n    \
         # {name}/rules: the rules the object breaks (none: no annotation).\n    \
         - key: rules\n      valueExpression: |-\n        \
         [{lists}].transformList(i, found, size(found) > 0,\n          \
         [{ids}][i]).join(', ')\n"
    );
}

fn binding(out: &mut String, settings: &Settings, name: &str, action: &str) {
    let _ = write!(
        out,
        "---\n\
         apiVersion: admissionregistration.k8s.io/v1\n\
         kind: ValidatingAdmissionPolicyBinding\n\
         metadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: kube-immutable\n    \
         app.kubernetes.io/version: \"{version}\"\n\
         spec:\n  policyName: {name}\n  validationActions: [{action}, Audit]\n",
        version = crate::VERSION,
    );
    let namespaces = &settings.exemptions.namespaces;
    if !namespaces.is_empty() {
        let _ = write!(
            out,
            "  matchResources:\n    \
             # Exempt namespaces: the name label the API server sets on every namespace.\n    \
             namespaceSelector:\n      matchExpressions:\n        \
             - key: kubernetes.io/metadata.name\n          operator: NotIn\n          values: [{}]\n",
            quoted_list(namespaces)
        );
    }
}

/// The `lists` variable: the three container lists, minus the containers
/// exempt by name or image (`Settings::container_exempt`).
fn lists(settings: &Settings) -> String {
    let lists =
        "[variables.spec.?initContainers.orValue([]), variables.spec.?containers.orValue([]),\n \
                 variables.spec.?ephemeralContainers.orValue([])]";
    let ex = &settings.exemptions;
    let mut exempt = Vec::new();
    if !ex.containers.is_empty() {
        exempt.push(format!(
            "c.name.matches({})",
            cel_string(&glob_regex(&ex.containers))
        ));
    }
    if !ex.images.is_empty() {
        exempt.push(format!(
            "c.?image.hasValue() && c.image.matches({})",
            cel_string(&glob_regex(&ex.images))
        ));
    }
    if exempt.is_empty() {
        return lists.to_owned();
    }
    format!(
        "{lists}.map(list, list.filter(c, !(\n  {})))",
        exempt.join(" ||\n  ")
    )
}

/// The findings' messages of a rule, as a CEL list of strings.
fn findings(id: &str) -> String {
    match id {
        "privileged" => each(
            "c.?securityContext.?privileged.orValue(false)",
            "' is privileged (`privileged: true`): it can change the node and itself'",
        ),
        "host-namespaces" => "(variables.spec.?hostNetwork.orValue(false) ? [\"the pod uses the host's network namespace (`hostNetwork: true`)\"] : []) +\n\
             (variables.spec.?hostPID.orValue(false) ? [\"the pod uses the host's process (PID) namespace (`hostPID: true`)\"] : []) +\n\
             (variables.spec.?hostIPC.orValue(false) ? [\"the pod uses the host's IPC namespace (`hostIPC: true`)\"] : [])"
            .to_owned(),
        "allow-privilege-escalation" => unless_windows(&each(
            "c.?securityContext.?allowPrivilegeEscalation.orValue(false)",
            "' allows privilege escalation (`allowPrivilegeEscalation: true`)'",
        )),
        "privilege-escalation-not-disabled" => unless_windows(&each(
            "!c.?securityContext.?allowPrivilegeEscalation.hasValue()",
            "' does not set `allowPrivilegeEscalation: false`, so escalation is allowed'",
        )),
        "run-as-root" => format!(
            "(variables.spec.?securityContext.?runAsUser.orValue(-1) == 0 ? ['the pod runs its containers as root (`runAsUser: 0`)'] : []) +\n{}",
            each(
                "c.?securityContext.?runAsUser.orValue(-1) == 0",
                "' runs as root (`runAsUser: 0`)'",
            )
        ),
        // `hostUsers: false` exempts the pod; a container's own
        // `runAsNonRoot` wins over the pod's.
        "may-run-as-root" => format!(
            "!variables.spec.?hostUsers.orValue(true) ? [] :\n\
             (!variables.spec.?securityContext.?runAsNonRoot.orValue(true) ? ['the pod allows its containers to run as root (`runAsNonRoot: false`)'] : []) +\n{}",
            each(
                "!c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false))",
                "(c.?securityContext.?runAsNonRoot.hasValue() ? ' allows running as root (`runAsNonRoot: false`)'\n    \
                 : ' may run as root: neither it nor the pod sets `runAsNonRoot: true`')",
            )
        ),
        "writable-root-filesystem" => unless_windows(&each(
            "!c.?securityContext.?readOnlyRootFilesystem.orValue(false)",
            "(c.?securityContext.?readOnlyRootFilesystem.hasValue() ? ' has a writable root filesystem (`readOnlyRootFilesystem: false`)'\n    \
             : ' has a writable root filesystem: `readOnlyRootFilesystem` is not `true`')",
        )),
        "host-path-volumes" => "variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v,\n  \
             'volume \"' + v.name + '\" mounts ' + (v.hostPath.?path.hasValue() ? \"the node's `\" + v.hostPath.path + '`' : 'a path of the node') +\n  \
             ' into the pod (`hostPath`)')"
            .to_owned(),
        // The API server writes `hostPort: <containerPort>` into every port
        // of a Pod (not a template) with `hostNetwork: true`: a port the
        // manifest left alone is not reported, as the core does not.
        "host-ports" => format!(
            "variables.containers.transformList(i, c, c.?ports.orValue([]).exists(p, {HOST_PORT}),\n  \
             c.ports.filter(p, {HOST_PORT}).map(p,\n    \
             variables.labels[i] + ' binds port ' + string(p.hostPort) + ' of the node (`hostPort: ' + string(p.hostPort) + '`)')).flatten()"
        ),
        "added-capabilities" => format!(
            "variables.containers.transformList(i, c, c.?securityContext.?capabilities.?add.orValue([]).exists(x, !(x in {BASELINE})),\n  \
             c.securityContext.capabilities.add.filter(x, !(x in {BASELINE})).map(x,\n    \
             variables.labels[i] + ' adds capability `' + x + \"`, beyond Pod Security's baseline\")).flatten()"
        ),
        "capabilities-not-restricted" => unless_windows(&format!(
            "{} +\n\
             variables.containers.transformList(i, c,\n  \
             c.?securityContext.?capabilities.?add.orValue([]).exists(x, x != 'NET_BIND_SERVICE' && x in {BASELINE}),\n  \
             c.securityContext.capabilities.add.filter(x, x != 'NET_BIND_SERVICE' && x in {BASELINE}).map(x,\n    \
             variables.labels[i] + ' adds capability `' + x + '`: the restricted level allows only `NET_BIND_SERVICE`')).flatten()",
            each(
                "!('ALL' in c.?securityContext.?capabilities.?drop.orValue([]))",
                "' does not drop all capabilities (`ALL` is not in `capabilities.drop`)'",
            )
        )),
        // No digest (`@`), and no tag or `latest` after the last `/`.
        "mutable-image-tag" => each(
            "c.?image.orValue('').trim() != '' && !c.image.contains('@') &&\n  \
             c.image.matches('(?s)^(.*/)?[^/:]*(:|:latest)?$')",
            "' runs `' + c.image + (c.image.endsWith(':latest')\n    \
             ? '`: the `latest` tag moves, so the same manifest runs different code tomorrow'\n    \
             : '` without a tag: Kubernetes pulls `latest`, whatever it is that day')",
        ),
        "image-not-pinned" => each(
            "c.?image.orValue('').trim() != '' && !c.image.matches('^[^@]*@sha256:[0-9a-fA-F]{64}$')",
            "' runs `' + c.image + '`, not pinned by digest: the registry can serve other code under it'",
        ),
        // A rule without its CEL: a test fails (every rule has one).
        _ => "[]".to_owned(),
    }
}

/// One message per container for which `pred` holds: its label, then `message`.
fn each(pred: &str, message: &str) -> String {
    format!("variables.containers.transformList(i, c, {pred},\n  variables.labels[i] + {message})")
}

fn unless_windows(findings: &str) -> String {
    format!("variables.windows ? [] :\n{findings}")
}

/// `- name: NAME` with its comment and expression.
fn variable(out: &mut String, name: &str, comment: &str, expression: &str) {
    let _ = write!(
        out,
        "    # {comment}\n    - name: {name}\n      expression: {}",
        block_or_plain(expression, 6)
    );
}

/// A CEL expression as a YAML value at `indent`, with its line end: plain
/// when it is one line YAML reads as it is, else a literal block (`|-`),
/// whose lines YAML keeps as they are.
fn block_or_plain(expression: &str, indent: usize) -> String {
    let plain = !expression.contains(['\n', '#', '\'', '"'])
        && !expression.contains(": ")
        && !expression.starts_with(|c: char| "[]{}>|*&!%@`-?:,".contains(c));
    if plain {
        return format!("{expression}\n");
    }
    let pad = " ".repeat(indent + 2);
    let mut out = String::from("|-\n");
    for line in expression.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `may-run-as-root` → `mayRunAsRoot`: a CEL identifier.
fn camel(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut upper = false;
    for ch in id.chars() {
        if ch == '-' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// A glob of the settings (`*` any run, `?` one character) as an RE2
/// expression matching whole strings, as `settings::glob_match` does.
fn glob_regex(globs: &[String]) -> String {
    let mut re = String::from("(?s)^(?:");
    for (i, glob) in globs.iter().enumerate() {
        if i > 0 {
            re.push('|');
        }
        for ch in glob.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                '\\' | '.' | '+' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
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
    let mut out = String::from("'");
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(ch),
            _ => escape_unicode(&mut out, ch),
        }
    }
    out.push('\'');
    out
}

/// A YAML double-quoted scalar, ASCII only.
fn yaml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(ch),
            _ => escape_unicode(&mut out, ch),
        }
    }
    out.push('"');
    out
}

/// `\uXXXX` or `\UXXXXXXXX`: the same escape in CEL and in YAML.
fn escape_unicode(out: &mut String, ch: char) {
    let code = u32::from(ch);
    let _ = if code <= 0xFFFF {
        write!(out, "\\u{code:04x}")
    } else {
        write!(out, "\\U{code:08x}")
    };
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| yaml_string(s))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_cel() {
        for rule in RULES {
            assert_ne!(findings(rule.id), "[]", "{}", rule.id);
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(camel("may-run-as-root"), "mayRunAsRoot");
        assert_eq!(camel("privileged"), "privileged");
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
            glob_regex(&["registry.k8s.io/*".into(), "a?c".into()]),
            r"(?s)^(?:registry\.k8s\.io/.*|a.c)$"
        );
        assert_eq!(
            glob_regex(&["a+b(c)|[d]{e}^$\\".into()]),
            r"(?s)^(?:a\+b\(c\)\|\[d\]\{e\}\^\$\\)$"
        );
    }

    #[test]
    fn levels_choose_the_policies() {
        let text = validating_admission_policy(&Settings::default());
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
        let text = validating_admission_policy(&all_off);
        assert!(!text.contains("kind:"), "{text}");
        assert!(text.contains("Every rule is off"));
    }
}
