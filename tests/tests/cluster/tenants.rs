//! Admission exemptions a tenant cannot forge (issue #20), through the real
//! chain: policy-server over TLS behind the webhooks, and a tenant who is not
//! an administrator (a client certificate for `tenant`, with RBAC to create
//! pods, deployments and cronjobs and to use `pods/ephemeralcontainers` in
//! one namespace only).
//!
//! Under default settings every way in that an object's author controls is
//! refused, with our message shown by kubectl; with an operator's
//! exemptions, what the operator named passes (a user, a group, a service
//! account, a namespace, the annotation for one rule in one namespace, a
//! container tied to its image) and nothing else does.

use kube_immutable_test_cluster::{Cluster, User};
use libtest_mimic::Failed;
use serde_json::{json, Value};

use crate::support::{none_of, repo};
use crate::webhooks::{start_chain, Chain, CHAIN_LABEL};

/// What the tenant may do, in its namespace only.
const TENANT_RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "pods/ephemeralcontainers"),
    ("apps", "deployments"),
    ("batch", "cronjobs"),
];
const VERBS: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];

/// A compliant pod (`sessions/compliant-pod.yaml`) under another name.
fn compliant_pod(name: &str) -> Result<String, Failed> {
    Ok(
        std::fs::read_to_string(repo("tests/fixtures/cluster/sessions/compliant-pod.yaml"))?
            .replace("  name: web\n", &format!("  name: {name}\n")),
    )
}

/// The compliant pod made privileged (escalation left unset, as the API
/// server requires beside `privileged: true`), with `annotations`.
fn privileged_pod(name: &str, annotation: Option<&str>) -> Result<String, Failed> {
    let mut pod = compliant_pod(name)?.replace(
        "        allowPrivilegeEscalation: false\n",
        "        privileged: true\n",
    );
    if let Some(value) = annotation {
        pod = pod.replace(
            &format!("  name: {name}\n"),
            &format!("  name: {name}\n  annotations:\n    kube-immutable.io/ignore: \"{value}\"\n"),
        );
    }
    Ok(pod)
}

/// A pod whose container is named like the exempted sidecar.
fn sidecar_pod(name: &str, image: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  securityContext: {{runAsNonRoot: true}}\n  containers:\n    - name: istio-proxy\n      image: {image}\n      securityContext:\n        privileged: true\n        readOnlyRootFilesystem: true\n        capabilities: {{drop: [ALL]}}\n"
    )
}

struct Session<'a> {
    cluster: &'a Cluster,
    dir: tempfile::TempDir,
    failures: Vec<String>,
    files: usize,
}

impl Session<'_> {
    /// `kubectl ARGS` as `user`, with `manifest` as the file `-f` names
    /// (`{file}` in the arguments); expects success or our denial.
    fn expect(
        &mut self,
        what: &str,
        user: &User,
        manifest: Option<&str>,
        args: &[&str],
        allowed: bool,
    ) {
        self.files += 1;
        let file = self.dir.path().join(format!("m{}.yaml", self.files));
        if let Some(text) = manifest {
            if let Err(e) = std::fs::write(&file, text) {
                self.failures.push(format!("{what}: {e}"));
                return;
            }
        }
        let file = file.to_string_lossy().into_owned();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "{file}" { file.as_str() } else { a })
            .collect();
        let out = self.cluster.run_kubectl_as(user, &args, None);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let denied = said.contains("denied the request: kube-immutable:");
        let ok = if allowed {
            out.status.success()
        } else {
            !out.status.success() && denied
        };
        if !ok {
            self.failures.push(format!(
                "{what} ({} as {}): expected {}, kubectl exited {:?}:\n{said}",
                args.join(" "),
                user.name,
                if allowed { "success" } else { "our denial" },
                out.status.code()
            ));
        }
    }
}

/// Namespaces routed to `chain`'s validate-mode webhook.
fn routed(cluster: &Cluster, chain: &Chain<'_>, names: &[&str]) -> Result<(), Failed> {
    for ns in names {
        cluster.create_namespace(ns, &[(CHAIN_LABEL, &chain.validate.route)])?;
    }
    Ok(())
}

fn settings_edit(settings: Value) -> impl Fn(&mut Value) {
    move |manifest: &mut Value| {
        let mode = manifest["spec"]["settings"]["mode"].clone();
        manifest["spec"]["settings"] = settings.clone();
        manifest["spec"]["settings"]["mode"] = mode;
    }
}

pub fn default_settings_refuse_every_way_in(cluster: &Cluster) -> Result<(), Failed> {
    let Some(chain) = start_chain(cluster, "tenants", settings_edit(json!({})))? else {
        return Ok(());
    };
    let ns = "tenant-a";
    routed(cluster, &chain, &[ns])?;
    let tenant = cluster.user("tenant", &["tenants"])?;
    cluster.grant(ns, "tenant", ("User", "tenant"), TENANT_RESOURCES, VERBS)?;
    let mut s = Session {
        cluster,
        dir: tempfile::tempdir()?,
        failures: Vec::new(),
        files: 0,
    };

    // The tenant really is not an administrator: nothing outside its namespace.
    s.expect_forbidden(
        &tenant,
        &["auth", "can-i", "create", "pods", "-n", "default"],
    );

    for (name, annotation) in [
        ("ignore-all", "all: because"),
        ("ignore-rule", "privileged: because"),
    ] {
        s.expect(
            &format!("a privileged pod annotated {annotation:?}"),
            &tenant,
            Some(&privileged_pod(name, Some(annotation))?),
            &["create", "-n", ns, "-f", "{file}"],
            false,
        );
    }
    // The warning that says the annotation was not honoured reaches kubectl.
    let out = cluster.run_kubectl_as(
        &tenant,
        &["create", "-n", ns, "--dry-run=server", "-f", "-"],
        Some(&privileged_pod("ignore-warning", Some("all"))?),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    if !said.contains(
        "Warning: kube-immutable: kube-immutable.io/ignore is not honoured by this policy",
    ) {
        s.failures.push(format!(
            "no warning that the annotation is not honoured:\n{said}"
        ));
    }
    s.expect(
        "a container named like an exempted sidecar (no exemption here)",
        &tenant,
        Some(&sidecar_pod("sidecar", "evil.example/miner:1")),
        &["create", "-n", ns, "-f", "{file}"],
        false,
    );

    // kubectl debug: a privileged ephemeral container in a running compliant pod.
    s.expect(
        "a compliant pod",
        &tenant,
        Some(&compliant_pod("running")?),
        &["create", "-n", ns, "-f", "{file}"],
        true,
    );
    s.expect(
        "kubectl debug --profile=sysadmin",
        &tenant,
        None,
        &[
            "debug",
            "-n",
            ns,
            "running",
            "--image=busybox:1.36",
            "--profile=sysadmin",
            "--container=debugger",
        ],
        false,
    );

    // UPDATE: a compliant Deployment made privileged.
    let deployment = std::fs::read_to_string(repo(
        "tests/fixtures/cluster/sessions/compliant-deployment.yaml",
    ))?;
    s.expect(
        "a compliant Deployment",
        &tenant,
        Some(&deployment),
        &["apply", "-n", ns, "-f", "{file}"],
        true,
    );
    s.expect(
        "an UPDATE that makes the Deployment privileged",
        &tenant,
        None,
        &["patch", "deployment", "web", "-n", ns, "--type=json", "-p",
          r#"[{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"},
              {"op": "add", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true}]"#],
        false,
    );
    let cronjob =
        std::fs::read_to_string(repo("tests/fixtures/cluster/sessions/root-cronjob.yaml"))?;
    s.expect(
        "a CronJob whose job template runs as root",
        &tenant,
        Some(&cronjob),
        &["create", "-n", ns, "-f", "{file}"],
        false,
    );

    // The same objects as a List, and through server-side apply.
    let indent = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("  - {l}\n")
                } else {
                    format!("    {l}\n")
                }
            })
            .collect::<String>()
    };
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}{}",
        indent(&privileged_pod("listed", Some("all"))?),
        indent(&cronjob.replace("name: report", "name: listed-report"))
    );
    s.expect(
        "a List of the same objects",
        &tenant,
        Some(&list),
        &["create", "-n", ns, "-f", "{file}"],
        false,
    );
    s.expect(
        "server-side apply of the annotated privileged pod",
        &tenant,
        Some(&privileged_pod("applied", Some("all"))?),
        &["apply", "--server-side", "-n", ns, "-f", "{file}"],
        false,
    );
    none_of("ways in that were not refused", &s.failures)
}

impl Session<'_> {
    fn expect_forbidden(&mut self, user: &User, args: &[&str]) {
        let out = self.cluster.run_kubectl_as(user, args, None);
        if String::from_utf8_lossy(&out.stdout).trim() != "no" {
            self.failures.push(format!(
                "{} may {}: {}",
                user.name,
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
}

pub fn operator_exemptions_let_through_only_what_they_name(
    cluster: &Cluster,
) -> Result<(), Failed> {
    let settings = json!({
        "exemptions": {
            "usernames": ["release-bot"],
            "groups": ["platform-admins"],
            "serviceAccounts": ["ci/deployer"],
            "namespaces": ["legacy"],
            "containers": [{"name": "istio-proxy", "images": ["docker.io/istio/proxyv2:*"]}],
        },
        "ignoreAnnotation": {"allowed": true, "rules": ["privileged"], "namespaces": ["network-tools"]},
    });
    let Some(chain) = start_chain(cluster, "operator", settings_edit(settings))? else {
        return Ok(());
    };
    let ns = "tenant-b";
    routed(cluster, &chain, &[ns, "legacy", "network-tools"])?;
    let tenant = cluster.user("tenant-b", &["tenants"])?;
    let bot = cluster.user("release-bot", &[])?;
    let carol = cluster.user("carol", &["platform-admins"])?;
    let deployer = cluster.service_account("ci", "deployer")?;
    for (name, subject) in [
        ("tenant", ("User", "tenant-b")),
        ("bot", ("User", "release-bot")),
        ("carol", ("User", "carol")),
        ("deployer", ("ServiceAccount", "ci/deployer")),
    ] {
        cluster.grant(ns, name, subject, TENANT_RESOURCES, VERBS)?;
    }
    let admin = cluster.admin().clone();
    let mut s = Session {
        cluster,
        dir: tempfile::tempdir()?,
        failures: Vec::new(),
        files: 0,
    };
    let create = ["create", "-n", ns, "-f", "{file}"];

    // The tenant: still refused, the annotation included (not its namespace).
    s.expect(
        "the tenant's annotated privileged pod",
        &tenant,
        Some(&privileged_pod("t1", Some("privileged: please"))?),
        &create,
        false,
    );
    s.expect(
        "a container named like the exempted sidecar, with another image",
        &tenant,
        Some(&sidecar_pod("impostor", "evil.example/miner:1")),
        &create,
        false,
    );
    s.expect(
        "the exempted sidecar with its own image",
        &tenant,
        Some(&sidecar_pod("sidecar", "docker.io/istio/proxyv2:1.22.0")),
        &create,
        true,
    );
    // Who asks: a user, a group, a service account.
    s.expect(
        "the same pod by an exempted user",
        &bot,
        Some(&privileged_pod("by-bot", None)?),
        &create,
        true,
    );
    s.expect(
        "the same pod by a member of an exempted group",
        &carol,
        Some(&privileged_pod("by-carol", None)?),
        &create,
        true,
    );
    s.expect(
        "the same pod by an exempted service account",
        &deployer,
        Some(&privileged_pod("by-deployer", None)?),
        &create,
        true,
    );
    // Where: an exempted namespace; the annotation where and for what the
    // operator allowed it.
    s.expect(
        "the same pod in an exempted namespace",
        &admin,
        Some(&privileged_pod("legacy-pod", None)?),
        &["create", "-n", "legacy", "-f", "{file}"],
        true,
    );
    s.expect(
        "the annotated pod where the operator allows the annotation for that rule",
        &admin,
        Some(&privileged_pod(
            "netdebug",
            Some("privileged: tcpdump needs raw sockets"),
        )?),
        &["create", "-n", "network-tools", "-f", "{file}"],
        true,
    );
    let root = compliant_pod("root")?.replace(
        "  securityContext:\n    runAsNonRoot: true\n",
        "  securityContext:\n    runAsUser: 0\n",
    );
    s.expect(
        "an annotation naming a rule the operator did not allow",
        &admin,
        Some(&root.replace(
            "  name: root\n",
            "  name: root\n  annotations:\n    kube-immutable.io/ignore: \"run-as-root: legacy\"\n",
        )),
        &["create", "-n", "network-tools", "-f", "{file}"],
        false,
    );
    none_of("admissions that went the wrong way", &s.failures)
}
