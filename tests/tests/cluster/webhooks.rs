//! The policy in the admission chain: Kubewarden's policy-server over TLS,
//! holding the annotated module with the `ClusterAdmissionPolicy` manifests
//! of `policy-wasm/README.md`, behind the ValidatingWebhookConfiguration and
//! MutatingWebhookConfiguration that Kubewarden's controller makes of them
//! ([`webhook_configuration`] writes that mapping down).
//!
//! Each test gets its own chain (a policy-server, two webhook
//! configurations, namespaces labelled for them), so tests never see each
//! other's webhooks; skipped with a message without kwctl or policy-server.

use std::time::Duration;

use kube_immutable_core::fix::{fix_admission, FixOptions};
use kube_immutable_core::{
    check_admission, check_text, yaml, Applicability, Limits, Node, Report, Requester, Settings,
    Severity,
};
use kube_immutable_test_cluster::manifests::{
    corpus, create_all, manifest_files, workload_objects,
};
use kube_immutable_test_cluster::{Cluster, Response};
use kube_immutable_tests::kubewarden::{
    skipped, Kwctl, PolicyServer, PolicyServerTool, KWCTL_ENV, POLICY_SERVER_ENV,
};
use libtest_mimic::Failed;
use serde_json::{json, Value};

use crate::support::{fixture_files, install_crd, namespace, none_of, repo, short};

/// The label that routes a namespace to one chain's webhook.
pub const CHAIN_LABEL: &str = "kube-immutable-test/chain";

/// One `ClusterAdmissionPolicy` of the README, as deployed.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The policy's id in policy-server and its webhooks'
    /// (`clusterwide-<name>`, as the controller names them).
    pub id: String,
    pub settings: Settings,
    pub mutating: bool,
    /// The label value that routes a namespace to this policy's webhook.
    pub route: String,
}

/// A policy-server and the webhook configurations that call it; the
/// configurations are deleted when it is dropped.
pub struct Chain<'c> {
    cluster: &'c Cluster,
    _server: PolicyServer,
    pub validate: Deployed,
    pub mutate: Deployed,
    configurations: Vec<String>,
}

impl Drop for Chain<'_> {
    fn drop(&mut self) {
        for path in &self.configurations {
            self.cluster.request("DELETE", path, None);
        }
    }
}

impl Chain<'_> {
    /// A namespace whose requests go through `policy`'s webhook.
    pub fn namespace(&self, policy: &Deployed, prefix: &str) -> Result<String, Failed> {
        namespace(self.cluster, prefix, &[(CHAIN_LABEL, &policy.route)])
    }
}

/// The README's `ClusterAdmissionPolicy` manifests, in order, as JSON:
/// validate mode, mutate mode, then the rules for custom resources.
pub fn readme_manifests() -> Result<Vec<Value>, Failed> {
    let readme = std::fs::read_to_string(repo("policy-wasm/README.md"))?;
    let mut found = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + 8..];
        let Some(end) = body.find("```") else { break };
        let block = &body[..end];
        rest = &body[end..];
        if block.contains("kind: ClusterAdmissionPolicy") {
            let (documents, errors) = yaml::parse_stream(block, &Limits::default());
            if !errors.is_empty() {
                return Err(format!("README manifest: {:?}", errors[0].message.en).into());
            }
            found.extend(documents.iter().map(|d| d.root.to_json()));
        }
    }
    if found.len() != 3 {
        return Err(format!(
            "policy-wasm/README.md has {} ClusterAdmissionPolicy manifests, not 3",
            found.len()
        )
        .into());
    }
    Ok(found)
}

/// The README's first two manifests (validate mode, then mutate mode).
pub fn readme_policies() -> Result<[Value; 2], Failed> {
    let mut manifests = readme_manifests()?;
    manifests.truncate(2);
    <[Value; 2]>::try_from(manifests).map_err(|_| "two manifests expected".into())
}

/// Starts a chain named `tag` from the README's manifests, with `edit`
/// applied to each manifest first (settings for a test); `None` (and a
/// message) without kwctl or policy-server.
pub fn start_chain<'c>(
    cluster: &'c Cluster,
    tag: &str,
    edit: impl Fn(&mut Value),
) -> Result<Option<Chain<'c>>, Failed> {
    let Some(kwctl) = Kwctl::find() else {
        skipped("kwctl", KWCTL_ENV);
        return Ok(None);
    };
    let Some(tool) = PolicyServerTool::find() else {
        skipped("policy-server", POLICY_SERVER_ENV);
        return Ok(None);
    };
    let module = kwctl.annotated_wapc();
    let mut deployed = Vec::new();
    let mut policies_yml = String::new();
    let mut manifests = readme_policies()?;
    for manifest in &mut manifests {
        edit(manifest);
        // The README's names for its own session (`tag` empty), else unique.
        let base = manifest["metadata"]["name"].as_str().unwrap_or("policy");
        let name = if tag.is_empty() {
            base.to_owned()
        } else {
            format!("{base}-{tag}")
        };
        manifest["metadata"]["name"] = Value::from(name.clone());
        let id = format!("clusterwide-{name}");
        let mutating = manifest["spec"]["mutating"].as_bool().unwrap_or(false);
        let settings_json = manifest["spec"]["settings"].clone();
        let settings = Settings::from_json(settings_json.clone())?;
        // policies.yml takes JSON as YAML.
        policies_yml.push_str(&format!(
            "{id}:\n  module: file://{}\n  allowedToMutate: {mutating}\n  settings: {settings_json}\n",
            module.display()
        ));
        deployed.push((
            manifest.clone(),
            Deployed {
                route: format!(
                    "{}-{}",
                    if tag.is_empty() { "readme" } else { tag },
                    if mutating { "mutate" } else { "validate" }
                ),
                id,
                settings,
                mutating,
            },
        ));
    }
    let serving = cluster.serving_cert()?;
    let server = tool.start_tls(&policies_yml, &serving.cert_pem, &serving.key_pem)?;
    let mut configurations = Vec::new();
    for (manifest, policy) in &deployed {
        let (path, configuration) = webhook_configuration(
            manifest,
            &policy.id,
            &format!("https://127.0.0.1:{}", server.port),
            cluster.ca_pem(),
            &policy.route,
        );
        let r = cluster.request("POST", &path, Some(&configuration));
        if !r.ok() {
            return Err(format!(
                "webhook configuration {}: {} {}",
                policy.id,
                r.status,
                r.message()
            )
            .into());
        }
        configurations.push(format!("{path}/{}", policy.id));
    }
    let [(_, validate), (_, mutate)] =
        <[_; 2]>::try_from(deployed).map_err(|_| "two policies expected")?;
    let chain = Chain {
        cluster,
        _server: server,
        validate,
        mutate,
        configurations,
    };
    // Webhook configurations take effect after a moment: wait until a
    // privileged pod is refused in validate mode and fixed in mutate mode.
    let probe = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": true}}]},
    });
    for policy in [&chain.validate, &chain.mutate] {
        let ns = chain.namespace(policy, "probe")?;
        let ready = cluster.wait_until(Duration::from_secs(30), || {
            let r = cluster.create(&ns, &probe, true);
            if policy.mutating {
                r.ok()
                    && r.json()["spec"]["containers"][0]["securityContext"]["privileged"] == false
            } else {
                r.status == 403 && r.message().contains("kube-immutable")
            }
        });
        if !ready {
            return Err(format!("the {} webhook never took effect", policy.id).into());
        }
    }
    Ok(Some(chain))
}

/// What Kubewarden's controller makes of a `ClusterAdmissionPolicy`
/// (kubewarden-controller, `internal/controller/policy_subreconciler_webhook.go`):
///
/// | webhook configuration | from the policy |
/// | --- | --- |
/// | kind | `MutatingWebhookConfiguration` when `spec.mutating`, else `ValidatingWebhookConfiguration` |
/// | `metadata.name`, `webhooks[0].name` | `clusterwide-<name>`, `clusterwide-<name>.kubewarden.admission` |
/// | `clientConfig` | the policy-server's Service, path `/validate/clusterwide-<name>`, the controller's CA (here: 127.0.0.1 and the test CA) |
/// | `rules`, `failurePolicy`, `matchPolicy`, `objectSelector`, `timeoutSeconds`, `matchConditions` | `spec`'s, with the CRD's defaults (`Fail`, `Equivalent`, 10 s) |
/// | `namespaceSelector` | `kubernetes.io/metadata.name NotIn [<Kubewarden's namespace>]`, plus `spec.namespaceSelector.matchExpressions` |
/// | `sideEffects`, `admissionReviewVersions` | `None` unless `spec.sideEffects`; `[v1]` |
///
/// The tests add one expression to the namespace selector (`CHAIN_LABEL In
/// [route]`), as an operator would in `spec.namespaceSelector`, so that each
/// test's namespaces see only its own chain. Returns the collection's path
/// and the object.
pub fn webhook_configuration(
    policy: &Value,
    id: &str,
    server: &str,
    ca_pem: &str,
    route: &str,
) -> (String, Value) {
    use base64::Engine as _;
    let spec = &policy["spec"];
    let mutating = spec["mutating"].as_bool().unwrap_or(false);
    let mut expressions = vec![json!({
        "key": "kubernetes.io/metadata.name",
        "operator": "NotIn",
        "values": ["kubewarden"],
    })];
    expressions.extend(
        spec["namespaceSelector"]["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
            .cloned(),
    );
    expressions.push(json!({ "key": CHAIN_LABEL, "operator": "In", "values": [route] }));
    let mut webhook = json!({
        "name": format!("{id}.kubewarden.admission"),
        "clientConfig": {
            "url": format!("{server}/validate/{id}"),
            "caBundle": base64::engine::general_purpose::STANDARD.encode(ca_pem),
        },
        "rules": spec["rules"],
        "failurePolicy": spec.get("failurePolicy").cloned().unwrap_or_else(|| json!("Fail")),
        "matchPolicy": spec.get("matchPolicy").cloned().unwrap_or_else(|| json!("Equivalent")),
        "namespaceSelector": { "matchExpressions": expressions },
        "sideEffects": spec.get("sideEffects").cloned().unwrap_or_else(|| json!("None")),
        "timeoutSeconds": spec.get("timeoutSeconds").cloned().unwrap_or_else(|| json!(10)),
        "admissionReviewVersions": ["v1"],
    });
    for key in ["objectSelector", "matchConditions"] {
        if let Some(value) = spec.get(key) {
            webhook[key] = value.clone();
        }
    }
    let kind = if mutating {
        "MutatingWebhookConfiguration"
    } else {
        "ValidatingWebhookConfiguration"
    };
    let collection = if mutating {
        "mutatingwebhookconfigurations"
    } else {
        "validatingwebhookconfigurations"
    };
    (
        format!("/apis/admissionregistration.k8s.io/v1/{collection}"),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": kind,
            "metadata": { "name": id },
            "webhooks": [webhook],
        }),
    )
}

/// The groups of the tests' administrator, as the API server authenticates
/// its client certificate.
fn admin_groups() -> Vec<String> {
    vec![
        "system:masters".to_owned(),
        "system:authenticated".to_owned(),
    ]
}

/// The tests' administrator as a requester.
fn admin(groups: &[String]) -> Requester<'_> {
    Requester {
        username: Some("admin"),
        groups,
    }
}

/// The core's verdict on an object the administrator sends: what the
/// policy computes from the request.
fn admitted(object: &Value, settings: &Settings) -> Report {
    check_admission(&Node::from_json(object), settings, &admin(&admin_groups()))
}

/// The rules of the findings a safe fix covers (none should be left after
/// mutate mode).
fn safely_fixable<'f>(
    findings: impl Iterator<Item = &'f kube_immutable_core::Finding>,
) -> Vec<&'static str> {
    findings
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|fix| fix.applicability == Applicability::Safe)
        })
        .map(|f| f.rule)
        .collect()
}

/// Denied by our policy (not by the API server's own validation).
pub fn denied_by_policy(r: &Response, id: &str) -> bool {
    r.status == 403
        && r.message().contains(&format!(
            "admission webhook \"{id}.kubewarden.admission\" denied the request: kube-immutable:"
        ))
}

pub fn fixtures_through_the_admission_chain(cluster: &Cluster) -> Result<(), Failed> {
    let Some(chain) = start_chain(cluster, "fixtures", |_| {})? else {
        return Ok(());
    };
    // The manifests, and the objects of the admission requests the policy's
    // own tests send (tests/fixtures/admission/).
    let mut objects = objects_of(&fixture_files());
    for name in kube_immutable_tests::kubewarden::request_fixtures() {
        let request: Value =
            serde_json::from_str(&kube_immutable_tests::fixture(&name)).unwrap_or(Value::Null);
        let object = &request["object"];
        // The custom resources (rollout.json, knative-service.json) go
        // through the README's rules for them, in
        // `custom_resources_through_the_admission_chain`: these manifests
        // do not select them, whether their CRDs are installed or not.
        let kubernetes = !object["apiVersion"].as_str().unwrap_or("v1").contains('.');
        if kubernetes && object["kind"].is_string() && object["spec"].is_object() {
            objects.push((format!("tests/fixtures/admission/{name}"), object.clone()));
        }
    }
    let summary = verdicts(cluster, &chain, &objects)?;
    eprintln!("admission chain on the fixtures: {summary}");
    summary.result()?;
    stored_after_mutation(cluster, &chain, &objects)
}

/// Every object of `files`, labelled with its file.
fn objects_of(files: &[std::path::PathBuf]) -> Vec<(String, Value)> {
    let mut objects = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for object in workload_objects(&text) {
            objects.push((format!("{} {}", short(file), object.label()), object.json));
        }
    }
    objects
}

/// Real creates in mutate mode: what the API server stores, listed by
/// `kubectl get -o yaml` and checked as `kube-immutable check -` would, has
/// no finding a safe fix covers, and the same findings as the core's fixed
/// object.
fn stored_after_mutation(
    cluster: &Cluster,
    chain: &Chain<'_>,
    objects: &[(String, Value)],
) -> Result<(), Failed> {
    let ns = chain.namespace(&chain.mutate, "stored")?;
    let settings = &chain.mutate.settings;
    let groups = admin_groups();
    // The stored objects checked as the policy reads them: the annotation
    // not honoured (the CLI honours it unless told so).
    let mut as_the_policy = settings.clone();
    as_the_policy.ignore_annotation.allowed = Some(false);
    let mut sent = Vec::new();
    for (i, (label, object)) in objects.iter().enumerate() {
        let mut object = object.clone();
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("name".to_owned(), Value::from(format!("o{i}")));
            meta.remove("generateName");
            meta.insert("namespace".to_owned(), Value::from(ns.as_str()));
        }
        sent.push((label, object));
    }
    let created = create_all(
        cluster,
        &ns,
        &sent.iter().map(|(_, o)| o).collect::<Vec<_>>(),
        false,
        4,
    );
    let out = cluster.run_kubectl(
        &["get", crate::live::RESOURCES, "-n", &ns, "-o", "yaml"],
        None,
    );
    let listed = String::from_utf8(out.stdout)?;
    let live = check_text(&listed, &as_the_policy);
    let mut failures = Vec::new();
    let mut stored = 0;
    for (i, ((label, object), answer)) in sent.iter().zip(&created).enumerate() {
        if !answer.ok() {
            continue;
        }
        stored += 1;
        let name = format!("o{i}");
        let rules = |findings: &mut dyn Iterator<Item = &kube_immutable_core::Finding>| {
            let mut r: Vec<(String, Option<String>)> = findings
                .map(|f| (f.rule.to_owned(), f.container.clone()))
                .collect();
            r.sort();
            r
        };
        let got = rules(
            &mut live
                .findings
                .iter()
                .filter(|f| f.object.name.as_deref() == Some(name.as_str())),
        );
        let safe = safely_fixable(
            live.findings
                .iter()
                .filter(|f| f.object.name.as_deref() == Some(name.as_str())),
        );
        if !safe.is_empty() {
            failures.push(format!(
                "{label}: stored with findings a safe fix covers: {safe:?}"
            ));
        }
        let mut fixed = (*object).clone();
        let outcome = fix_admission(
            &mut fixed,
            settings,
            &admin(&groups),
            FixOptions {
                unsafe_fixes: settings.unsafe_fixes,
            },
        );
        let host_network = fixed.to_string().contains("\"hostNetwork\":true");
        let mut expected = rules(&mut outcome.remaining.findings.iter());
        let mut got = got;
        // The API server fills `hostPort` on hostNetwork pods (see live.rs).
        if host_network {
            got.retain(|(rule, _)| rule != "host-ports");
            expected.retain(|(rule, _)| rule != "host-ports");
        }
        if got != expected {
            failures.push(format!(
                "{label}: stored findings {got:?}, the core's fixed object {expected:?}"
            ));
        }
    }
    eprintln!(
        "mutate mode, real creates: {stored} objects stored and listed by kubectl get -o yaml"
    );
    if stored == 0 {
        failures.push("nothing was stored in mutate mode".to_owned());
    }
    none_of("stored objects that differ from the core's fix", &failures)
}

pub fn corpus_through_the_admission_chain(cluster: &Cluster) -> Result<(), Failed> {
    let corpus = match corpus() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("SKIPPED: the admission chain on the real-world corpus: {why}");
            return Ok(());
        }
    };
    let Some(chain) = start_chain(cluster, "corpus", |_| {})? else {
        return Ok(());
    };
    let summary = verdicts(
        cluster,
        &chain,
        &objects_of(&manifest_files(&corpus.join("realworld"))),
    )?;
    eprintln!("admission chain on the real-world corpus: {summary}");
    if summary.sent < 1_000 {
        return Err(format!(
            "only {} corpus objects were accepted as written: {summary}",
            summary.sent
        )
        .into());
    }
    summary.result()
}

#[derive(Debug, Default)]
struct Verdicts {
    sent: usize,
    denied: usize,
    mutated: usize,
    failures: Vec<String>,
}

impl std::fmt::Display for Verdicts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} objects accepted as written sent through both webhooks: {} denied in validate mode, \
             {} changed in mutate mode; {} disagreements with the core",
            self.sent,
            self.denied,
            self.mutated,
            self.failures.len()
        )
    }
}

impl Verdicts {
    fn result(&self) -> Result<(), Failed> {
        none_of(
            "disagreements between the admission chain and the core",
            &self.failures,
        )
    }
}

/// Every object of `files` accepted as written: a server-side dry run in a
/// validate-mode namespace is denied exactly when the core reports an
/// error-level finding (under the policy's settings), naming its first
/// rule; in a mutate-mode namespace, it is denied exactly when the fixed
/// object still has one, no patch is refused by the API server, and what
/// it would store has no finding a safe fix covers.
fn verdicts(
    cluster: &Cluster,
    chain: &Chain<'_>,
    objects: &[(String, Value)],
) -> Result<Verdicts, Failed> {
    let plain = namespace(cluster, "as-written", &[])?;
    let validate_ns = chain.namespace(&chain.validate, "validate")?;
    let mutate_ns = chain.namespace(&chain.mutate, "mutate")?;
    let as_written = create_all(
        cluster,
        &plain,
        &objects.iter().map(|(_, o)| o).collect::<Vec<_>>(),
        true,
        4,
    );
    let accepted: Vec<&(String, Value)> = objects
        .iter()
        .zip(&as_written)
        .filter(|(_, r)| r.ok())
        .map(|(o, _)| o)
        .collect();
    let bodies: Vec<&Value> = accepted.iter().map(|(_, o)| o).collect();
    let validated = create_all(cluster, &validate_ns, &bodies, true, 4);
    let mutated = create_all(cluster, &mutate_ns, &bodies, true, 4);
    let groups = admin_groups();
    let mut v = Verdicts {
        sent: accepted.len(),
        ..Verdicts::default()
    };
    for (((label, object), validated), mutated) in accepted.iter().zip(&validated).zip(&mutated) {
        // The core, on the object as the API server hands it to the
        // webhook: in the request's namespace.
        let mut in_ns = object.clone();
        if let Some(meta) = in_ns.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".to_owned(), Value::from(validate_ns.as_str()));
        }
        let report = admitted(&in_ns, &chain.validate.settings);
        let expect_denied = report.has_errors() || report.has_input_errors();
        let was_denied = denied_by_policy(validated, &chain.validate.id);
        if was_denied {
            v.denied += 1;
        }
        if expect_denied != was_denied || (!was_denied && !validated.ok()) {
            v.failures.push(format!(
                "{label}: validate mode: the core says {}, the API server answered {} {}",
                if expect_denied { "deny" } else { "accept" },
                validated.status,
                validated.message()
            ));
        } else if was_denied {
            let first = report
                .findings
                .iter()
                .find(|f| f.severity == Severity::Error);
            if let Some(first) = first {
                if !validated
                    .message()
                    .contains(&format!("\n- {}: ", first.rule))
                {
                    v.failures.push(format!(
                        "{label}: the denial does not name {}: {}",
                        first.rule,
                        validated.message()
                    ));
                }
            }
        }

        // Mutate mode: the core's fixes, then its verdict on what is left.
        let mut fixed = object.clone();
        if let Some(meta) = fixed.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".to_owned(), Value::from(mutate_ns.as_str()));
        }
        let settings = &chain.mutate.settings;
        let outcome = fix_admission(
            &mut fixed,
            settings,
            &admin(&groups),
            FixOptions {
                unsafe_fixes: settings.unsafe_fixes,
            },
        );
        let expect_denied = outcome.remaining.has_errors() || outcome.remaining.has_input_errors();
        let was_denied = denied_by_policy(mutated, &chain.mutate.id);
        if expect_denied != was_denied || (!was_denied && !mutated.ok()) {
            v.failures.push(format!(
                "{label}: mutate mode: the core says {}, the API server answered {} {}",
                if expect_denied { "deny" } else { "accept" },
                mutated.status,
                mutated.message()
            ));
            continue;
        }
        if mutated.ok() {
            let stored = mutated.json();
            if stored["spec"] != object["spec"] {
                v.mutated += 1;
            }
            let safe = safely_fixable(admitted(&stored, settings).findings.iter());
            if !safe.is_empty() {
                v.failures.push(format!(
                    "{label}: mutate mode stored an object with safe fixes left: {safe:?}"
                ));
            }
        }
    }
    Ok(v)
}

/// Runs `kubectl ARGS` (in `dir`), returning what a terminal shows and
/// the exit code: the warnings and errors (standard error) come as the
/// answer arrives, before what kubectl then prints on standard output.
fn kubectl_session(
    cluster: &Cluster,
    dir: &std::path::Path,
    args: &[&str],
) -> (String, Option<i32>) {
    let mut command = cluster.kubectl();
    command.current_dir(dir).args(args);
    let out = kube_immutable_test_cluster::run_with_stdin(&mut command, None);
    (
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ),
        out.status.code(),
    )
}

/// The READMEs' cluster sessions (the console block after each
/// `<!-- cluster-session -->`) are what kubectl prints: each `$ kubectl ...`
/// line is run, from the repository's root, in the namespaces it names
/// (`team-a` routed to validate mode, `team-b` to mutate mode, with the
/// README's own manifests and names), and its output compared exactly.
pub fn what_kubectl_prints(cluster: &Cluster) -> Result<(), Failed> {
    let Some(chain) = start_chain(cluster, "", |_| {})? else {
        return Ok(());
    };
    for (ns, policy) in [("team-a", &chain.validate), ("team-b", &chain.mutate)] {
        cluster.create_namespace(ns, &[(CHAIN_LABEL, &policy.route)])?;
    }
    let mut failures = Vec::new();
    let mut commands = 0;
    for readme in ["README.md", "policy-wasm/README.md"] {
        let text = std::fs::read_to_string(repo(readme))?;
        let sessions: Vec<&str> = text.split("<!-- cluster-session -->").skip(1).collect();
        if sessions.is_empty() {
            failures.push(format!("{readme} has no <!-- cluster-session --> block"));
        }
        for section in sessions {
            let Some(block) = section
                .strip_prefix("\n```console\n")
                .and_then(|b| b.split("\n```").next())
            else {
                failures.push(format!(
                    "{readme}: no console block right after <!-- cluster-session -->"
                ));
                continue;
            };
            let mut lines = block.lines().peekable();
            while let Some(line) = lines.next() {
                let Some(command) = line.strip_prefix("$ ") else {
                    failures.push(format!("{readme}: output before any command: {line}"));
                    continue;
                };
                let mut expected = Vec::new();
                while let Some(next) = lines.peek() {
                    if next.starts_with("$ ") {
                        break;
                    }
                    expected.push(lines.next().unwrap_or_default());
                }
                let args: Vec<&str> = command.split_whitespace().collect();
                if args.first() != Some(&"kubectl") {
                    failures.push(format!("{readme}: not a kubectl command: {command}"));
                    continue;
                }
                commands += 1;
                let (printed, _) = kubectl_session(cluster, &repo(""), &args[1..]);
                let expected = expected.join("\n");
                if printed.trim_end() != expected.trim_end() {
                    failures.push(format!(
                        "{readme}: $ {command}\n--- the README says:\n{expected}\n--- kubectl printed:\n{}",
                        printed.trim_end()
                    ));
                }
            }
        }
    }
    if commands < 5 {
        failures.push(format!(
            "only {commands} kubectl commands in the READMEs' cluster sessions"
        ));
    }
    none_of("README commands whose output differs", &failures)
}

/// UPDATE (a compliant Deployment patched to privileged, a CronJob whose
/// job template runs as root), `kubectl apply --server-side`, a `List`, and
/// `kubectl debug` adding an ephemeral container (`pods/ephemeralcontainers`).
pub fn updates_and_ephemeral_containers(cluster: &Cluster) -> Result<(), Failed> {
    let Some(chain) = start_chain(cluster, "updates", |_| {})? else {
        return Ok(());
    };
    let ns = chain.namespace(&chain.validate, "updates")?;
    let id = &chain.validate.id;
    let dir = tempfile::tempdir()?;
    let mut failures = Vec::new();
    let compliant = std::fs::read_to_string(repo(
        "tests/fixtures/cluster/sessions/compliant-deployment.yaml",
    ))?;
    let report = check_text(&compliant, &chain.validate.settings);
    if report.has_errors() {
        return Err(format!(
            "compliant-deployment.yaml has errors: {:?}",
            report.findings
        )
        .into());
    }
    let file = dir.path().join("deployment.yaml");
    std::fs::write(&file, &compliant)?;
    let file = file.to_string_lossy().into_owned();
    let expect =
        |failures: &mut Vec<String>, what: &str, args: &[&str], success: bool, needle: &str| {
            let (out, code) = kubectl_session(cluster, dir.path(), args);
            if (code == Some(0)) != success || !out.contains(needle) {
                failures.push(format!(
                    "{what}: kubectl {} exited {code:?}:\n{out}",
                    args.join(" ")
                ));
            }
        };
    expect(
        &mut failures,
        "a compliant Deployment",
        &["apply", "-n", &ns, "-f", &file],
        true,
        "deployment.apps/web created",
    );
    expect(
        &mut failures,
        "UPDATE to privileged",
        &["patch", "deployment", "web", "-n", &ns, "--type=json", "-p",
          r#"[{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"},
              {"op": "add", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true}]"#],
        false,
        &format!("admission webhook \"{id}.kubewarden.admission\" denied the request: kube-immutable: Deployment/web is not immutable"),
    );
    // A new Deployment: server-side apply keeps fields other managers own.
    let privileged = compliant
        .replace("allowPrivilegeEscalation: false", "privileged: true")
        .replace("name: web\n", "name: web-ssa\n");
    std::fs::write(dir.path().join("privileged.yaml"), &privileged)?;
    expect(
        &mut failures,
        "server-side apply to privileged",
        &["apply", "--server-side", "-n", &ns, "-f", "privileged.yaml"],
        false,
        "\n- privileged: ",
    );
    // The same objects as a List, as `kubectl get -o yaml` prints them.
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}",
        std::fs::read_to_string(repo("tests/fixtures/cluster/sessions/root-cronjob.yaml"))?
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 0 {
                format!("  - {l}\n")
            } else {
                format!("    {l}\n")
            })
            .collect::<String>()
    );
    std::fs::write(dir.path().join("list.yaml"), &list)?;
    expect(
        &mut failures,
        "a CronJob whose job template runs as root, in a List",
        &["create", "-n", &ns, "-f", "list.yaml"],
        false,
        "\n- run-as-root: ",
    );

    // kubectl debug: a privileged ephemeral container in a running pod.
    let pod = repo("tests/fixtures/cluster/sessions/compliant-pod.yaml")
        .to_string_lossy()
        .into_owned();
    expect(
        &mut failures,
        "a compliant pod",
        &["create", "-n", &ns, "-f", &pod],
        true,
        "pod/web created",
    );
    expect(
        &mut failures,
        "kubectl debug --profile=sysadmin",
        &[
            "debug",
            "-n",
            &ns,
            "web",
            "--image=busybox:1.36",
            "--profile=sysadmin",
            "--container=debugger",
        ],
        false,
        "\n- privileged: ",
    );
    let stored = cluster
        .request("GET", &format!("/api/v1/namespaces/{ns}/pods/web"), None)
        .json();
    if stored["spec"]["ephemeralContainers"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
    {
        failures.push(format!(
            "the denied ephemeral container was added: {}",
            stored["spec"]["ephemeralContainers"]
        ));
    }
    none_of("admission checks that did not hold", &failures)
}

/// The README's rules for custom resources, on a real API server: with the
/// CRDs of Argo Rollouts and Knative Serving installed, a privileged
/// Rollout and a Knative Service running as root are refused at apply
/// time with the policy's findings, the Rollout is fixed in mutate mode,
/// and the core `v1` Service of the same kind name is not a workload.
pub fn custom_resources_through_the_admission_chain(cluster: &Cluster) -> Result<(), Failed> {
    let manifests = readme_manifests()?;
    let rules = manifests[2]["spec"]["rules"].clone();
    let Some(chain) = start_chain(cluster, "crd", |m| m["spec"]["rules"] = rules.clone())? else {
        return Ok(());
    };
    install_crd(cluster, "argoproj.io", "Rollout", "rollouts", "v1alpha1")?;
    install_crd(cluster, "serving.knative.dev", "Service", "services", "v1")?;
    let fixture = |name: &str| -> Result<Value, Failed> {
        let text = std::fs::read_to_string(repo(&format!("tests/fixtures/admission/{name}")))?;
        let mut object = serde_json::from_str::<Value>(&text)?["object"].clone();
        if let Some(metadata) = object["metadata"].as_object_mut() {
            metadata.remove("namespace");
        }
        Ok(object)
    };
    let rollout = fixture("rollout.json")?;
    let knative = fixture("knative-service.json")?;
    let validate = chain.namespace(&chain.validate, "crd")?;
    let mutate = chain.namespace(&chain.mutate, "crd")?;
    let mut failures = Vec::new();
    let id = &chain.validate.id;
    for (object, label, pointer) in [
        (
            &rollout,
            "Rollout/rollout-canary",
            "/spec/template/spec/containers/0/securityContext/privileged",
        ),
        (
            &knative,
            "Service/helloworld-go",
            "/spec/template/spec/containers/0/securityContext/runAsUser",
        ),
    ] {
        // As the core says in admission, in validate mode.
        let root = Node::from_json(object);
        let report = check_admission(&root, &chain.validate.settings, &admin(&admin_groups()));
        if !report.has_errors() {
            failures.push(format!("{label}: the core finds no error"));
        }
        let r = cluster.create(&validate, object, false);
        let message = r.message();
        if r.status != 403
            || !message.contains(&format!(
                "admission webhook \"{id}.kubewarden.admission\" denied the request"
            ))
            || !message.contains(label)
            || !message.contains(pointer)
        {
            failures.push(format!("{label} in validate mode: {} {message}", r.status));
        }
    }
    // Mutate mode: the Rollout's privileged container is fixed (a safe
    // fix) before the controller would copy its template.
    let r = cluster.create(&mutate, &rollout, false);
    let stored = r.json();
    let container = &stored["spec"]["template"]["spec"]["containers"][0];
    if !r.ok() || container["securityContext"]["privileged"] != false {
        failures.push(format!(
            "Rollout in mutate mode: {} {}",
            r.status,
            if r.ok() {
                container.to_string()
            } else {
                r.message()
            }
        ));
    }
    // The Knative Service runs as root: unsafe to fix, still refused.
    let r = cluster.create(&mutate, &knative, false);
    if r.status != 403 || !r.message().contains("run-as-root") {
        failures.push(format!(
            "Knative Service in mutate mode: {} {}",
            r.status,
            r.message()
        ));
    }
    // The core `v1` Service is not a workload, even with a pod template.
    let mut core_service = knative.clone();
    core_service["apiVersion"] = Value::from("v1");
    core_service["spec"] = json!({"ports": [{"port": 80}]});
    core_service["metadata"]["name"] = Value::from("plain");
    let r = cluster.create(&validate, &core_service, false);
    if !r.ok() {
        failures.push(format!("a core v1 Service: {} {}", r.status, r.message()));
    }
    none_of("custom resources through the admission chain", &failures)
}
