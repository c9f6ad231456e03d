//! The rules as ValidatingAdmissionPolicies (`kube-immutable export vap`,
//! the core's `export::vap`) on the real API server: it accepts them, they
//! stay within its CEL cost budget, and they judge every object of the
//! fixtures and of the real-world corpus as the core judges it: denied
//! exactly when the core finds an error-level finding, the rules named in
//! the denial and in the warnings the core's.
//!
//! Each test installs the exported objects under names of its own, bound
//! only in namespaces labelled for it ([`VAP_LABEL`]), as an operator would
//! narrow a binding's `namespaceSelector`: the cluster is shared.

use std::collections::BTreeSet;
use std::time::Duration;

use kube_immutable_core::export::vap::{
    validating_admission_policy, DENY_POLICY, NOT_EXPORTED, WARN_POLICY,
};
use kube_immutable_core::{
    check_admission, yaml, Limits, Node, Report, Requester, Settings, Severity, RULES,
};
use kube_immutable_test_cluster::manifests::{
    big_pod, corpus, create_all, manifest_files, workload_objects,
};
use kube_immutable_test_cluster::{Cluster, Response};
use libtest_mimic::Failed;
use serde_json::{json, Value};

use crate::support::{fixture_files, install_crd, namespace, none_of, repo, short};

/// The label that puts a namespace under one test's policies.
pub const VAP_LABEL: &str = "kube-immutable-test/vap";

const ADMISSION: &str = "/apis/admissionregistration.k8s.io/v1";

/// The exported policies of one test, installed as `<name>-<tag>`; deleted
/// when dropped.
pub struct Installed<'c> {
    cluster: &'c Cluster,
    pub tag: String,
    pub settings: Settings,
    paths: Vec<String>,
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        for path in self.paths.iter().rev() {
            self.cluster.request("DELETE", path, None);
        }
    }
}

impl Installed<'_> {
    fn deny(&self) -> String {
        format!("{DENY_POLICY}-{}", self.tag)
    }

    fn warn(&self) -> String {
        format!("{WARN_POLICY}-{}", self.tag)
    }

    /// A namespace under these policies, once they are in force there.
    pub fn namespace(&self, prefix: &str) -> Result<String, Failed> {
        let ns = namespace(self.cluster, prefix, &[(VAP_LABEL, &self.tag)])?;
        self.wait_in(&ns)?;
        Ok(ns)
    }

    /// Labels an existing namespace for these policies and waits for them.
    fn label(&self, ns: &str) -> Result<(), Failed> {
        let patch = json!({"metadata": {"labels": {VAP_LABEL: self.tag}}});
        let r = self.cluster.raw_request(
            "PATCH",
            &format!("/api/v1/namespaces/{ns}"),
            Some(("application/merge-patch+json", patch.to_string().as_bytes())),
        );
        if !r.ok() {
            return Err(format!("labelling {ns}: {} {}", r.status, r.message()).into());
        }
        self.wait_in(ns)
    }

    fn wait_in(&self, ns: &str) -> Result<(), Failed> {
        wait_for(self.cluster, ns, &self.settings, &self.deny(), &self.warn())
    }

    /// What the core says of `object` in `ns`, as the policies should:
    /// the error-level rules (denied) and the warning-level ones (warned).
    fn expected(&self, object: &Value, ns: &str) -> Expected {
        let mut object = object.clone();
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".to_owned(), Value::from(ns));
        }
        let admin = self.cluster.admin();
        let requester = Requester {
            username: Some(&admin.name),
            groups: &admin.groups,
        };
        let report = check_admission(&Node::from_json(&object), &self.settings, &requester);
        let unseen = unseen(&object, &report);
        let keep = |severity| -> BTreeSet<String> {
            rules_at(&report, severity)
                .difference(&unseen)
                .cloned()
                .collect()
        };
        Expected {
            denied: keep(Severity::Error),
            warned: keep(Severity::Warning),
            unseen,
        }
    }
}

/// What the core says of an object, as the policies should say it: the
/// error-level rules (denied), the warning-level ones (warned), minus the
/// rules the policies cannot see ([`unseen`]).
struct Expected {
    denied: BTreeSet<String>,
    warned: BTreeSet<String>,
    unseen: BTreeSet<String>,
}

/// A policy and its binding take effect about a second after they are
/// created, each on its own: polls until every policy `settings` makes is
/// in force in `ns`. A pod that breaks every rule is denied by `deny` and
/// warned about by `warn`; with no warning-level rule, `warn` only warns of
/// an ignore annotation it does not honour (then the probe carries one).
fn wait_for(
    cluster: &Cluster,
    ns: &str,
    settings: &Settings,
    deny: &str,
    warn: &str,
) -> Result<(), Failed> {
    let at = |severity| {
        RULES
            .iter()
            .any(|r| !NOT_EXPORTED.contains(&r.id) && settings.severity(r) == Some(severity))
    };
    let (denies, warns_of_rules) = (at(Severity::Error), at(Severity::Warning));
    let warns = warns_of_rules || (denies && !settings.annotation_allowed(true));
    let mut probe = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "x",
            "securityContext": {"privileged": true, "runAsUser": 0}}]},
    });
    if !warns_of_rules {
        probe["metadata"]["annotations"] = json!({"kube-immutable.io/ignore": "all"});
    }
    let warn_prefix = format!("Validation failed for ValidatingAdmissionPolicy '{warn}'");
    let ready = cluster.wait_until(Duration::from_secs(60), || {
        let r = cluster.create(ns, &probe, true);
        (!denies || denied_by(&r, deny).is_some())
            && (!warns || r.warnings.iter().any(|w| w.starts_with(&warn_prefix)))
    });
    if ready {
        Ok(())
    } else {
        Err(format!("the policies {deny} / {warn} did not take effect in {ns} within 60 s").into())
    }
}

fn rules_at(report: &Report, severity: Severity) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.rule.to_owned())
        .collect()
}

/// Exports the policies for `settings` and creates them as `<name>-<tag>`,
/// each binding narrowed to the namespaces labelled `VAP_LABEL=<tag>`.
/// Every object must be accepted: their CEL compiles on the real server.
pub fn install<'c>(
    cluster: &'c Cluster,
    tag: &str,
    settings: &Settings,
) -> Result<Installed<'c>, Failed> {
    let text = validating_admission_policy(settings)?;
    let (documents, errors) = yaml::parse_stream(&text, &Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!(
            "the exported YAML does not read back: {}\n{text}",
            e.message.en
        )
        .into());
    }
    let mut installed = Installed {
        cluster,
        tag: tag.to_owned(),
        settings: settings.clone(),
        paths: Vec::new(),
    };
    for document in &documents {
        let mut object = document.root.to_json();
        if object.is_null() {
            continue;
        }
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let name = format!(
            "{}-{tag}",
            object["metadata"]["name"].as_str().unwrap_or_default()
        );
        object["metadata"]["name"] = Value::from(name.as_str());
        let collection = match kind.as_str() {
            "ValidatingAdmissionPolicy" => "validatingadmissionpolicies",
            "ValidatingAdmissionPolicyBinding" => {
                let policy = object["spec"]["policyName"].as_str().unwrap_or_default();
                object["spec"]["policyName"] = Value::from(format!("{policy}-{tag}"));
                narrow(&mut object, tag);
                "validatingadmissionpolicybindings"
            }
            other => return Err(format!("unexpected kind {other} in the export").into()),
        };
        let r = cluster.request("POST", &format!("{ADMISSION}/{collection}"), Some(&object));
        if !r.ok() {
            return Err(format!(
                "the API server refused the exported {kind} {name}: {} {}",
                r.status,
                r.message()
            )
            .into());
        }
        installed
            .paths
            .push(format!("{ADMISSION}/{collection}/{name}"));
    }
    Ok(installed)
}

/// Adds `VAP_LABEL In [tag]` to a binding's namespace selector.
fn narrow(binding: &mut Value, tag: &str) {
    let spec = &mut binding["spec"];
    if spec.get("matchResources").is_none() {
        spec["matchResources"] = json!({});
    }
    let selector = &mut spec["matchResources"]["namespaceSelector"];
    if selector.is_null() {
        *selector = json!({"matchExpressions": []});
    }
    if let Some(list) = selector["matchExpressions"].as_array_mut() {
        list.push(json!({"key": VAP_LABEL, "operator": "In", "values": [tag]}));
    } else {
        selector["matchExpressions"] =
            json!([{"key": VAP_LABEL, "operator": "In", "values": [tag]}]);
    }
}

/// The rules a denial by `policy` names (`kube-immutable: Kind/name is not
/// immutable: rule: finding; ... | rule: ...`), or `None` when `r` is not
/// such a denial.
fn denied_by(r: &Response, policy: &str) -> Option<BTreeSet<String>> {
    let message = r.message();
    let prefix =
        format!("ValidatingAdmissionPolicy '{policy}' with binding '{policy}' denied request: ");
    if r.status != 403 {
        return None;
    }
    let text = &message[message.find(&prefix)? + prefix.len()..];
    let text = text.split_once(" is not immutable: ")?.1;
    Some(
        RULES
            .iter()
            .filter(|rule| {
                text.starts_with(&format!("{}: ", rule.id))
                    || text.contains(&format!(" | {}: ", rule.id))
            })
            .map(|rule| rule.id.to_owned())
            .collect(),
    )
}

/// The rule a warning of `policy` names
/// (`Validation failed for ValidatingAdmissionPolicy '<policy>' with
/// binding '<policy>': kube-immutable: rule: ...`).
fn warned_by(warning: &str, policy: &str) -> Option<String> {
    let prefix = format!(
        "Validation failed for ValidatingAdmissionPolicy '{policy}' with binding '{policy}': kube-immutable: "
    );
    let rest = warning.strip_prefix(&prefix)?;
    let id = rest.split_once(':')?.0;
    RULES.iter().any(|r| r.id == id).then(|| id.to_owned())
}

/// The verdict of our policies on one answer: `None` when the API server
/// refused the object for another reason.
fn verdict(
    installed: &Installed<'_>,
    r: &Response,
) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let warned: BTreeSet<String> = r
        .warnings
        .iter()
        .filter_map(|w| warned_by(w, &installed.warn()))
        .collect();
    if r.ok() {
        return Some((BTreeSet::new(), warned));
    }
    denied_by(r, &installed.deny()).map(|denied| (denied, warned))
}

/// One object to judge.
struct Case {
    label: String,
    object: Value,
}

fn cases(files: &[std::path::PathBuf]) -> Vec<Case> {
    let mut cases = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for object in workload_objects(&text) {
            cases.push(Case {
                label: format!("{} {}", short(file), object.label()),
                object: object.json,
            });
        }
    }
    cases
}

/// The rules of `report` that the policies cannot see, with the README's
/// reason: the API server writes `hostPort: <containerPort>` into every port
/// of a Pod with `hostNetwork: true` (not of a template), so CEL cannot tell
/// such a port written by hand from one the manifest left alone, and
/// reports neither; `host-ports` is unseen when all its findings are such
/// ports. The rules the export leaves out (`NOT_EXPORTED`) are unseen too.
fn unseen(object: &Value, report: &Report) -> BTreeSet<String> {
    let mut unseen: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| NOT_EXPORTED.contains(&f.rule))
        .map(|f| f.rule.to_owned())
        .collect();
    if object["kind"] != "Pod" || object["spec"]["hostNetwork"] != true {
        return unseen;
    }
    let mut host_ports = report
        .findings
        .iter()
        .filter(|f| f.rule == "host-ports")
        .peekable();
    let implied = |pointer: &str| {
        let port = object.pointer(pointer.strip_suffix("/hostPort").unwrap_or(pointer));
        port.is_some_and(|p| p["hostPort"] == p["containerPort"])
    };
    if host_ports.peek().is_some() && host_ports.all(|f| implied(&f.pointer)) {
        unseen.insert("host-ports".to_owned());
    }
    unseen
}

#[derive(Debug, Default)]
struct Summary {
    judged: usize,
    denied: usize,
    warned: usize,
    ephemeral: usize,
    divergences: usize,
    failures: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} objects accepted as written judged ({} through pods/ephemeralcontainers): {} denied, {} warned about, \
             {} with host ports CEL cannot see (README); {} disagreements with the core",
            self.judged, self.ephemeral, self.denied, self.warned, self.divergences, self.failures.len()
        )
    }
}

/// Every object of `files` that the API server accepts as written (a dry
/// run in a namespace without policies), dry-run again under the
/// policies: denied exactly when the core finds an error-level finding,
/// with the same rules named in the denial and in the warnings. A Pod with
/// ephemeral containers (which a create cannot carry) is created without
/// them, then they are added through `pods/ephemeralcontainers`, as
/// `kubectl debug` adds them.
fn judge(installed: &Installed<'_>, cases: &[Case]) -> Result<Summary, Failed> {
    let cluster = installed.cluster;
    let plain = namespace(cluster, &format!("plain-{}", installed.tag), &[])?;
    // The namespace is labelled for the policies once the pods that get
    // ephemeral containers exist (they may break a rule themselves).
    let judged_ns = namespace(cluster, &format!("judged-{}", installed.tag), &[])?;
    let (with_ephemeral, created): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| {
        c.object["kind"] == "Pod" && !c.object["spec"]["ephemeralContainers"].is_null()
    });
    let bodies: Vec<&Value> = created.iter().map(|c| &c.object).collect();
    let as_written = create_all(cluster, &plain, &bodies, true, 4);
    let accepted: Vec<&Case> = created
        .iter()
        .zip(&as_written)
        .filter(|(_, r)| r.ok())
        .map(|(c, _)| *c)
        .collect();
    // The pods to debug, created for real without their ephemeral containers.
    let mut debugged = Vec::new();
    for (i, case) in with_ephemeral.iter().enumerate() {
        let mut pod = case.object.clone();
        let ephemeral = pod["spec"]
            .as_object_mut()
            .and_then(|spec| spec.remove("ephemeralContainers"))
            .unwrap_or(Value::Null);
        pod["metadata"]["name"] = Value::from(format!("debugged-{i}"));
        let r = cluster.create(&judged_ns, &pod, false);
        if r.ok() {
            debugged.push((*case, r.json(), ephemeral));
        }
    }
    installed.label(&judged_ns)?;

    let bodies: Vec<&Value> = accepted.iter().map(|c| &c.object).collect();
    let answers = create_all(cluster, &judged_ns, &bodies, true, 4);
    let mut judged: Vec<(&Case, Value, Response)> = accepted
        .iter()
        .zip(answers)
        .map(|(c, r)| (*c, c.object.clone(), r))
        .collect();
    let mut summary = Summary::default();
    for (case, mut stored, ephemeral) in debugged {
        stored["spec"]["ephemeralContainers"] = ephemeral;
        let name = stored["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = cluster.request(
            "PUT",
            &format!("/api/v1/namespaces/{judged_ns}/pods/{name}/ephemeralcontainers?dryRun=All&fieldValidation=Strict"),
            Some(&stored),
        );
        // An ephemeral container the API server refuses (ports, probes)
        // never reaches admission: nothing to judge.
        if r.status == 422 {
            continue;
        }
        summary.ephemeral += 1;
        // The core sees the pod as the manifest wrote it, with its
        // ephemeral containers.
        judged.push((case, case.object.clone(), r));
    }

    for (case, object, r) in &judged {
        let expected = installed.expected(object, &judged_ns);
        let Some((denied, warned)) = verdict(installed, r) else {
            summary.failures.push(format!(
                "{}: refused for another reason than our policies: {} {}",
                case.label,
                r.status,
                r.message()
            ));
            continue;
        };
        summary.judged += 1;
        if !denied.is_empty() {
            summary.denied += 1;
        }
        if !warned.is_empty() {
            summary.warned += 1;
        }
        if !expected.unseen.is_empty() {
            summary.divergences += 1;
        }
        if expected.denied != denied || expected.warned != warned {
            summary.failures.push(format!(
                "{}: the core denies {:?} and warns {:?}; the API server denied {:?} and warned {:?} ({} {})",
                case.label,
                expected.denied,
                expected.warned,
                denied,
                warned,
                r.status,
                r.message()
            ));
        }
    }
    Ok(summary)
}

fn settings_file(path: &str) -> Result<Settings, Failed> {
    let text = std::fs::read_to_string(repo(path))?;
    let (documents, errors) = yaml::parse_stream(&text, &Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("{path}: {}", e.message.en).into());
    }
    let root = documents
        .first()
        .map(|d| d.root.to_json())
        .unwrap_or(Value::Null);
    Ok(Settings::from_json(if root.is_null() {
        json!({})
    } else {
        root
    })?)
}

/// The profiles every object is judged under: the default settings and
/// the restricted preset.
fn profiles() -> Result<Vec<(&'static str, Settings)>, Failed> {
    Ok(vec![
        ("default", Settings::default()),
        ("restricted", settings_file("presets/restricted.yaml")?),
    ])
}

fn judge_files(
    cluster: &Cluster,
    what: &str,
    files: &[std::path::PathBuf],
    at_least: usize,
) -> Result<(), Failed> {
    let cases = cases(files);
    let mut failures = Vec::new();
    for (profile, settings) in profiles()? {
        let installed = install(cluster, &format!("{what}-{profile}"), &settings)?;
        let summary = judge(&installed, &cases)?;
        eprintln!("exported policies ({profile} settings) on the {what}: {summary}");
        if summary.judged < at_least {
            failures.push(format!(
                "{profile}: only {} objects judged: {summary}",
                summary.judged
            ));
        }
        failures.extend(summary.failures.iter().map(|f| format!("{profile}: {f}")));
    }
    none_of(
        "disagreements between the exported policies and the core",
        &failures,
    )
}

/// The fixtures (the rules', the examples, the CLI's, the cluster tests'
/// named cases, `tests/fixtures/cluster/vap/` among them).
pub fn fixtures_judged_as_the_core_judges(cluster: &Cluster) -> Result<(), Failed> {
    judge_files(cluster, "fixtures", &fixture_files(), 40)
}

/// The real-world corpus (`KUBE_IMMUTABLE_CORPUS`), when it is there.
pub fn corpus_judged_as_the_core_judges(cluster: &Cluster) -> Result<(), Failed> {
    let corpus = match corpus() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("SKIPPED: the exported policies on the real-world corpus: {why}");
            return Ok(());
        }
    };
    judge_files(
        cluster,
        "corpus",
        &manifest_files(&corpus.join("realworld")),
        1_000,
    )
}

/// The custom resources with one pod spec (Argo Rollouts, OpenShift,
/// Knative, KEDA), with their CRDs installed: the core's fixtures for them
/// are judged by the exported policies as the core judges them, under the
/// default settings and the restricted preset (a Rollout that points at a
/// Deployment, with no pod spec, is admitted).
pub fn custom_resources_judged_as_the_core_judges(cluster: &Cluster) -> Result<(), Failed> {
    let kinds = [
        ("argoproj.io", "Rollout", "rollouts", "v1alpha1"),
        (
            "apps.openshift.io",
            "DeploymentConfig",
            "deploymentconfigs",
            "v1",
        ),
        ("serving.knative.dev", "Service", "services", "v1"),
        (
            "serving.knative.dev",
            "Configuration",
            "configurations",
            "v1",
        ),
        ("serving.knative.dev", "Revision", "revisions", "v1"),
        ("keda.sh", "ScaledJob", "scaledjobs", "v1alpha1"),
    ];
    for (group, kind, plural, version) in kinds {
        install_crd(cluster, group, kind, plural, version)?;
    }
    let mut cases = Vec::new();
    for file in [
        "argo-rollout",
        "argo-rollout-workload-ref",
        "openshift-deploymentconfig",
        "knative-service",
        "knative-configuration",
        "knative-revision",
        "keda-scaledjob",
    ] {
        let path = repo(&format!(
            "crates/kube-immutable-core/tests/workloads/{file}.yaml"
        ));
        let text = std::fs::read_to_string(&path)?;
        for document in yaml::parse_stream(&text, &Limits::default()).0 {
            let mut object = document.root.to_json();
            let group = object["apiVersion"]
                .as_str()
                .and_then(|v| v.split_once('/'))
                .map(|(g, _)| g);
            if !kinds
                .iter()
                .any(|(g, k, ..)| Some(*g) == group && object["kind"] == *k)
            {
                continue;
            }
            if let Some(meta) = object["metadata"].as_object_mut() {
                meta.remove("namespace");
            }
            cases.push(Case {
                label: format!(
                    "{file}.yaml {}/{}",
                    object["kind"], object["metadata"]["name"]
                ),
                object,
            });
        }
    }
    let mut failures = Vec::new();
    for (profile, settings) in profiles()? {
        let installed = install(cluster, &format!("crd-{profile}"), &settings)?;
        let summary = judge(&installed, &cases)?;
        eprintln!("exported policies ({profile} settings) on custom resources: {summary}");
        if summary.judged != cases.len() || summary.denied == 0 {
            failures.push(format!(
                "{profile}: {} of {} objects judged: {summary}",
                summary.judged,
                cases.len()
            ));
        }
        failures.extend(summary.failures.iter().map(|f| format!("{profile}: {f}")));
    }
    none_of(
        "disagreements between the exported policies and the core on custom resources",
        &failures,
    )
}

/// The worst case the issue names, a Pod with 100 containers each with 20
/// capabilities and 20 ports, is judged within the API server's CEL cost
/// budget (10,000,000 per policy and request; an expression over it fails,
/// and with `failurePolicy: Fail` denies with a cost error): the compliant
/// one is accepted without a warning, and the other denied with every
/// rule the core finds named, from the full message (not the fallback one
/// each validation carries for a message too costly to make).
pub fn affordable(cluster: &Cluster) -> Result<(), Failed> {
    let mut failures = Vec::new();
    for (profile, settings) in profiles()? {
        let installed = install(cluster, &format!("cost-{profile}"), &settings)?;
        let ns = installed.namespace(&format!("cost-{profile}"))?;
        let good = big_pod("compliant", 100, true);
        let r = cluster.create(&ns, &good, true);
        let ours: Vec<&String> = r
            .warnings
            .iter()
            .filter(|w| w.contains(&installed.warn()))
            .collect();
        if !r.ok() || !ours.is_empty() {
            failures.push(format!(
                "{profile}: the compliant pod: {} {} {ours:?}",
                r.status,
                r.message()
            ));
        }
        let bad = big_pod("mutable", 100, false);
        let r = cluster.create(&ns, &bad, true);
        let expect_denied = installed.expected(&bad, &ns).denied;
        match denied_by(&r, &installed.deny()) {
            Some(denied) if denied == expect_denied && r.message().contains(" more") => {}
            other => failures.push(format!(
                "{profile}: the mutable pod: expected a denial naming {expect_denied:?}, got {other:?}: {} {}",
                r.status,
                r.message()
            )),
        }
    }
    none_of("worst-case pods not judged within the budget", &failures)
}

/// What kubectl printed, read back: the rules our deny policy named, the
/// rules our warn policy named, and our other warnings.
#[derive(Debug, PartialEq, Eq)]
struct Printed {
    denied: BTreeSet<String>,
    warned: BTreeSet<String>,
    notices: Vec<String>,
}

fn printed(installed: &Installed<'_>, output: &str) -> Printed {
    let (deny, warn) = (installed.deny(), installed.warn());
    let mut p = Printed {
        denied: BTreeSet::new(),
        warned: BTreeSet::new(),
        notices: Vec::new(),
    };
    let warn_prefix =
        format!("Validation failed for ValidatingAdmissionPolicy '{warn}' with binding '{warn}': ");
    for line in output.lines() {
        if let Some(warning) = line.strip_prefix("Warning: ") {
            if let Some(rule) = warned_by(warning, &warn) {
                p.warned.insert(rule);
            } else if let Some(notice) = warning.strip_prefix(&warn_prefix) {
                p.notices.push(notice.to_owned());
            }
        } else if line.contains(&format!("ValidatingAdmissionPolicy '{deny}'")) {
            let r = Response {
                status: 403,
                body: json!({"message": line}).to_string(),
                warnings: Vec::new(),
            };
            p.denied = denied_by(&r, &deny).unwrap_or_default();
        }
    }
    p
}

/// The exemptions the API server can hold, each as the core grants it (in
/// admission, for that requester): namespaces, users, groups, service
/// accounts, runtime classes, images, container names tied to images or to
/// namespaces, and the ignore annotation where `ignoreAnnotation` allows it
/// (with the core's own warning where it does not).
pub fn exemptions_as_the_core_grants_them(cluster: &Cluster) -> Result<(), Failed> {
    let settings = Settings::from_json(json!({
        "exemptions": {
            "namespaces": ["vap-exempt"],
            "images": ["registry.example/trusted/*"],
            "containers": [
                {"name": "istio-proxy", "images": ["docker.io/istio/proxyv2:*"]},
                {"name": "log-*", "namespaces": ["vap-logging"]},
            ],
            "usernames": ["alice"],
            "groups": ["ci-deployers"],
            "serviceAccounts": ["vap-ci/deployer"],
            "runtimeClasses": ["kata"],
        },
        "ignoreAnnotation": {
            "allowed": true,
            "rules": ["privileged", "host-namespaces"],
            "namespaces": ["vap-monitoring"],
        },
    }))?;
    let exempting = install(cluster, "exempt", &settings)?;
    let strict = install(cluster, "annotation", &Settings::default())?;
    for (ns, tag) in [
        ("vap-plain", "exempt"),
        ("vap-exempt", "exempt"),
        ("vap-logging", "exempt"),
        ("vap-monitoring", "exempt"),
        ("vap-default", "annotation"),
        ("vap-ci", "none"),
    ] {
        cluster.create_namespace(ns, &[(VAP_LABEL, tag)])?;
    }
    for (path, object) in [
        (
            "/apis/node.k8s.io/v1/runtimeclasses",
            json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "kata"}, "handler": "kata"}),
        ),
        (
            "/api/v1/namespaces/vap-ci/serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "deployer"}}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "vap-pod-maker"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}]}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "vap-pod-makers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "vap-pod-maker"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"},
                {"kind": "ServiceAccount", "name": "deployer", "namespace": "vap-ci"},
            ]}),
        ),
    ] {
        let r = cluster.request("POST", path, Some(&object));
        if !r.ok() && r.status != 409 {
            return Err(format!("{path}: {} {}", r.status, r.message()).into());
        }
    }
    exempting.wait_in("vap-plain")?;
    strict.wait_in("vap-default")?;
    let alice = cluster.user("alice", &[])?;
    let bob = cluster.user("bob", &[])?;
    let ci = cluster.user("bob", &["ci-deployers"])?;

    let container = |name: &str, image: &str| json!({"name": name, "image": image, "securityContext": {"privileged": true}});
    let pod = |name: &str, containers: Vec<Value>| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"securityContext": {"runAsNonRoot": true}, "containers": containers}})
    };
    let privileged = pod(
        "privileged",
        vec![container("app", "registry.example/app:1.0")],
    );
    let mut kata = privileged.clone();
    kata["spec"]["runtimeClassName"] = Value::from("kata");
    let named = pod(
        "named",
        vec![
            container("trusted", "registry.example/trusted/agent:1.0"),
            container("istio-proxy", "docker.io/istio/proxyv2:1.22"),
            container("log-shipper", "registry.example/shipper:1.0"),
        ],
    );
    let impostor = pod(
        "impostor",
        vec![container("istio-proxy", "registry.example/evil:1.0")],
    );
    let mut annotated = privileged.clone();
    annotated["metadata"]["annotations"] = json!({"kube-immutable.io/ignore": "privileged, host-namespaces, run-as-root: a node agent"});
    annotated["spec"]["hostNetwork"] = Value::from(true);
    annotated["spec"]["containers"][0]["securityContext"]["runAsUser"] = Value::from(0);

    let admin = cluster.admin().clone();
    /// One request: what it shows, where, under which policies, by whom
    /// (a user with a client certificate, or a service account the
    /// administrator impersonates).
    struct Case<'a> {
        what: &'a str,
        ns: &'a str,
        policies: &'a Installed<'a>,
        object: &'a Value,
        user: &'a kube_immutable_test_cluster::User,
        impersonate: Option<&'a str>,
    }
    let cases = [
        Case {
            what: "a privileged pod",
            ns: "vap-plain",
            policies: &exempting,
            object: &privileged,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "in an exempt namespace",
            ns: "vap-exempt",
            policies: &exempting,
            object: &privileged,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "by an exempt user",
            ns: "vap-plain",
            policies: &exempting,
            object: &privileged,
            user: &alice,
            impersonate: None,
        },
        Case {
            what: "by another user",
            ns: "vap-plain",
            policies: &exempting,
            object: &privileged,
            user: &bob,
            impersonate: None,
        },
        Case {
            what: "by a member of an exempt group",
            ns: "vap-plain",
            policies: &exempting,
            object: &privileged,
            user: &ci,
            impersonate: None,
        },
        Case {
            what: "by an exempt service account",
            ns: "vap-plain",
            policies: &exempting,
            object: &privileged,
            user: &admin,
            impersonate: Some("system:serviceaccount:vap-ci:deployer"),
        },
        Case {
            what: "run by an exempt runtime class",
            ns: "vap-plain",
            policies: &exempting,
            object: &kata,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "exempt images and container names",
            ns: "vap-plain",
            policies: &exempting,
            object: &named,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "container names tied to their namespace",
            ns: "vap-logging",
            policies: &exempting,
            object: &named,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "a container named like an exempt one",
            ns: "vap-plain",
            policies: &exempting,
            object: &impostor,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "the annotation, where it may lift two of its rules",
            ns: "vap-monitoring",
            policies: &exempting,
            object: &annotated,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "the annotation, elsewhere",
            ns: "vap-plain",
            policies: &exempting,
            object: &annotated,
            user: &admin,
            impersonate: None,
        },
        Case {
            what: "the annotation, under the default settings",
            ns: "vap-default",
            policies: &strict,
            object: &annotated,
            user: &admin,
            impersonate: None,
        },
    ];
    let dir = tempfile::tempdir()?;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let Case {
            what,
            ns,
            policies: installed,
            object,
            user,
            impersonate,
        } = case;
        let file = dir.path().join(format!("case-{i}.json"));
        std::fs::write(&file, object.to_string())?;
        let file = file.to_string_lossy().into_owned();
        let mut args = vec!["create", "--dry-run=server", "-n", ns, "-f", &file];
        let as_flag;
        if let Some(name) = impersonate {
            as_flag = format!("--as={name}");
            args.push(&as_flag);
        }
        let out = cluster.run_kubectl_as(user, &args, None);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let actual = printed(installed, &text);
        // The core, in admission, for the same requester.
        let (username, groups): (String, Vec<String>) = match impersonate {
            Some(name) => (
                (*name).to_owned(),
                vec!["system:serviceaccounts".to_owned()],
            ),
            None => (user.name.clone(), user.groups.clone()),
        };
        let mut in_ns = (*object).clone();
        in_ns["metadata"]["namespace"] = Value::from(*ns);
        let report = check_admission(
            &Node::from_json(&in_ns),
            &installed.settings,
            &Requester {
                username: Some(&username),
                groups: &groups,
            },
        );
        let expected = Printed {
            denied: rules_at(&report, Severity::Error),
            warned: rules_at(&report, Severity::Warning),
            // Where the settings narrow what the annotation may lift, the
            // core also warns of what it refused; the policies do not (the
            // README says so): the refused rules' findings remain.
            notices: report
                .errors
                .iter()
                .filter(|e| {
                    e.message.en.starts_with(
                        "kube-immutable.io/ignore is not honoured by this policy: an object cannot lift",
                    )
                })
                .map(|e| e.message.en.to_string())
                .collect(),
        };
        let refused_otherwise = !out.status.success() && actual.denied.is_empty();
        if actual != expected || refused_otherwise {
            failures.push(format!(
                "{what} ({ns}): the core says {expected:?}; kubectl printed:\n{text}"
            ));
        }
    }
    none_of(
        "exemptions the policies grant otherwise than the core",
        &failures,
    )
}

/// The README's "Enforce in a cluster" session is what kubectl prints.
/// `kube-immutable export vap | kubectl apply -f -` is run with the core's
/// export for the default settings (what the CLI prints, as its own tests
/// check), each binding narrowed to the namespaces labelled for this test
/// first (the cluster is shared; kubectl prints the same): then every
/// `$ kubectl ...` line, compared with the block.
pub fn what_kubectl_prints(cluster: &Cluster) -> Result<(), Failed> {
    let readme = std::fs::read_to_string(repo("README.md"))?;
    let block = readme
        .split("<!-- vap-session -->")
        .nth(1)
        .and_then(|s| s.split("```console\n").nth(1))
        .and_then(|b| b.split("```").next())
        .ok_or("README.md has no console block after <!-- vap-session -->")?;
    cluster.create_namespace("team-c", &[(VAP_LABEL, "readme")])?;
    cluster.create_namespace("team-d", &[])?;
    let mut exported = Vec::new();
    let mut failures = Vec::new();
    let mut commands = 0;
    let mut lines = block.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(command) = line.strip_prefix("$ ") else {
            continue;
        };
        let mut expected = Vec::new();
        while let Some(next) = lines.peek() {
            if next.starts_with("$ ") {
                break;
            }
            expected.push(lines.next().unwrap_or_default());
        }
        commands += 1;
        let out = if command == "kube-immutable export vap | kubectl apply -f -" {
            let text = validating_admission_policy(&Settings::default())?;
            let mut stream = String::new();
            for document in yaml::parse_stream(&text, &Limits::default()).0 {
                let mut object = document.root.to_json();
                if object["kind"] == "ValidatingAdmissionPolicyBinding" {
                    narrow(&mut object, "readme");
                }
                if !object.is_null() {
                    exported.push(object.clone());
                    stream.push_str(&format!("---\n{object}\n"));
                }
            }
            let out = cluster.run_kubectl(&["apply", "-f", "-"], Some(&stream));
            wait_for(
                cluster,
                "team-c",
                &Settings::default(),
                DENY_POLICY,
                WARN_POLICY,
            )?;
            out
        } else {
            let args: Vec<&str> = command.split_whitespace().collect();
            if args.first() != Some(&"kubectl") {
                failures.push(format!("not a command this test runs: {command}"));
                continue;
            }
            let mut run = cluster.kubectl();
            run.current_dir(repo("")).args(&args[1..]);
            kube_immutable_test_cluster::run_with_stdin(&mut run, None)
        };
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        if printed.trim_end() != expected.join("\n").trim_end() {
            failures.push(format!(
                "$ {command}\n--- README says:\n{}\n--- kubectl printed:\n{}",
                expected.join("\n"),
                printed.trim_end()
            ));
        }
    }
    for object in exported.iter().rev() {
        let collection = if object["kind"] == "ValidatingAdmissionPolicy" {
            "validatingadmissionpolicies"
        } else {
            "validatingadmissionpolicybindings"
        };
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        cluster.request("DELETE", &format!("{ADMISSION}/{collection}/{name}"), None);
    }
    if commands < 4 {
        failures.push(format!("only {commands} commands in the README's session"));
    }
    none_of("README commands whose output differs", &failures)
}

/// UPDATE is judged as CREATE is: a compliant Deployment, created, then
/// patched to run privileged (denied, naming the rule), and a CronJob
/// whose job template is patched to run as root.
pub fn updates_are_judged(cluster: &Cluster) -> Result<(), Failed> {
    let installed = install(cluster, "updates", &Settings::default())?;
    let ns = installed.namespace("vap-updates")?;
    let container = json!({"name": "app", "image": "registry.example/app:1.0",
        "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]}}});
    let pod_spec = json!({"securityContext": {"runAsNonRoot": true}, "restartPolicy": "OnFailure", "containers": [container]});
    let mut deployment_spec = pod_spec.clone();
    deployment_spec["restartPolicy"] = Value::from("Always");
    let objects = [
        (
            "/apis/apps/v1",
            "deployments",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": deployment_spec}}}),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "securityContext": {"privileged": true, "allowPrivilegeEscalation": null}}]}}}}),
            "privileged",
        ),
        (
            "/apis/batch/v1",
            "cronjobs",
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
                "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}),
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"securityContext": {"runAsUser": 0}}}}}}}),
            "run-as-root",
        ),
    ];
    let mut failures = Vec::new();
    for (group, resource, object, patch, rule) in objects {
        let r = cluster.create(&ns, &object, false);
        if !r.ok() {
            failures.push(format!(
                "creating the compliant {resource}: {} {}",
                r.status,
                r.message()
            ));
            continue;
        }
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        // A strategic merge patch merges containers by name, as kubectl patch does.
        let r = cluster.raw_request(
            "PATCH",
            &format!("{group}/namespaces/{ns}/{resource}/{name}?dryRun=All"),
            Some((
                "application/strategic-merge-patch+json",
                patch.to_string().as_bytes(),
            )),
        );
        let denied = denied_by(&r, &installed.deny()).unwrap_or_default();
        if !denied.contains(rule) || denied.len() != 1 {
            failures.push(format!(
                "the {resource} patched to break {rule}: denied {denied:?} ({} {})",
                r.status,
                r.message()
            ));
        }
    }
    none_of("updates not judged as creates are", &failures)
}
