//! `cargo xtask bench-vap`: what the exported ValidatingAdmissionPolicies
//! cost the API server. A cluster of its own (`crates/test-cluster`), the
//! same server-side dry runs under no policy, a policy that only says
//! `true` (the API server's own work per policy), and the policies
//! `kube-immutable export vap` writes for the default settings and for
//! `presets/restricted.yaml`; for each, the API server's CPU time per
//! request (from `/proc/<pid>/stat`, so other work on the machine counts
//! less than in a wall-clock time) and the median round trip.
//!
//! Not a test: it measures (the README's "Enforce in a cluster" table).

use std::time::{Duration, Instant};

use kube_immutable_core::export::vap::validating_admission_policy;
use kube_immutable_core::{yaml, Limits, Settings};
use kube_immutable_test_cluster::manifests::big_pod;
use kube_immutable_test_cluster::{Cluster, Tools};
use serde_json::{json, Value};

const ADMISSION: &str = "/apis/admissionregistration.k8s.io/v1";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut requests = 400usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--requests" => {
                requests = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--requests needs a positive number")?;
            }
            other => return Err(format!("bench-vap: unknown argument `{other}`")),
        }
    }
    let tools = Tools::find()?;
    let cluster = Cluster::start(&tools)?;
    let pid = cluster
        .apiserver_pid()
        .ok_or("the API server has no process id")?;
    cluster.create_namespace("bench", &[])?;
    let root = crate::workspace_root();
    let restricted = std::fs::read_to_string(root.join("presets/restricted.yaml"))
        .map_err(|e| format!("presets/restricted.yaml: {e}"))?;
    let restricted = yaml::parse_stream(&restricted, &Limits::default())
        .0
        .first()
        .map(|d| d.root.to_json())
        .ok_or("presets/restricted.yaml is empty")?;
    let restricted = Settings::from_json(restricted).map_err(|e| e.0)?;

    let objects = [
        (
            "a compliant one-container Deployment",
            deployment(),
            requests,
        ),
        (
            "a compliant Pod of 100 containers × 20 capabilities × 20 ports",
            big_pod("big", 100, true),
            requests / 20,
        ),
        (
            "the same, every rule broken",
            big_pod("big", 100, false),
            requests / 20,
        ),
    ];
    let configurations: [(&str, Option<String>); 4] = [
        ("no policy", None),
        ("a policy that says `true`", Some(trivial_policy())),
        (
            "default settings (2 policies)",
            Some(validating_admission_policy(&Settings::default()).map_err(|e| e.0)?),
        ),
        (
            "`restricted` (1 policy)",
            Some(validating_admission_policy(&restricted).map_err(|e| e.0)?),
        ),
    ];
    println!("bench-vap: API server CPU per server-side dry run (and the median round trip), {requests} requests (Deployment), {} (Pods)\n", (requests / 20).max(1));
    print!("| request |");
    for (name, _) in &configurations {
        print!(" {name} |");
    }
    print!("\n| --- |");
    for _ in &configurations {
        print!(" ---: |");
    }
    println!();
    let mut rows: Vec<String> = objects
        .iter()
        .map(|(what, _, _)| format!("| {what} |"))
        .collect();
    for (name, stream) in &configurations {
        let installed = match stream {
            Some(stream) => install(&cluster, stream)?,
            None => Vec::new(),
        };
        for (row, (_, object, n)) in rows.iter_mut().zip(&objects) {
            let (cpu, median, status) = measure(&cluster, pid, object, (*n).max(1))?;
            row.push_str(&format!(" {cpu:.1} ms ({median:.1} ms) |"));
            if status == 0 {
                return Err(format!("{name}: no answer"));
            }
        }
        for path in installed.iter().rev() {
            cluster.request("DELETE", path, None);
        }
        // A deleted policy stops applying about a second later.
        std::thread::sleep(Duration::from_secs(3));
    }
    for row in rows {
        println!("{row}");
    }

    // Headroom: the largest compliant pod the restricted policy still judges.
    let installed = install(&cluster, configurations[3].1.as_deref().unwrap_or_default())?;
    for containers in [500, 1_000, 1_500] {
        let pod = big_pod("big", containers, true);
        let started = Instant::now();
        let r = cluster.create("bench", &pod, true);
        println!(
            "\nrestricted, a compliant Pod of {containers} containers × 20 × 20 ({} KB): {} in {:.1} s{}",
            pod.to_string().len() / 1000,
            r.status,
            started.elapsed().as_secs_f64(),
            if r.ok() { String::new() } else { format!(": {}", r.message()) }
        );
    }
    for path in installed.iter().rev() {
        cluster.request("DELETE", path, None);
    }
    Ok(())
}

/// Creates the objects of `stream` and waits until they apply in `bench`.
fn install(cluster: &Cluster, stream: &str) -> Result<Vec<String>, String> {
    let mut paths = Vec::new();
    for document in yaml::parse_stream(stream, &Limits::default()).0 {
        let object = document.root.to_json();
        let collection = match object["kind"].as_str() {
            Some("ValidatingAdmissionPolicy") => "validatingadmissionpolicies",
            Some("ValidatingAdmissionPolicyBinding") => "validatingadmissionpolicybindings",
            _ => continue,
        };
        let r = cluster.request("POST", &format!("{ADMISSION}/{collection}"), Some(&object));
        if !r.ok() {
            return Err(format!("{collection}: {} {}", r.status, r.message()));
        }
        paths.push(format!(
            "{ADMISSION}/{collection}/{}",
            object["metadata"]["name"].as_str().unwrap_or_default()
        ));
    }
    // Policies apply about a second after they are created.
    std::thread::sleep(Duration::from_secs(3));
    Ok(paths)
}

/// The API server's CPU time per request (ms), the median round trip (ms)
/// and the last status, over `n` dry runs of `object` after 10 unmeasured.
fn measure(
    cluster: &Cluster,
    pid: u32,
    object: &Value,
    n: usize,
) -> Result<(f64, f64, u16), String> {
    for _ in 0..10.min(n) {
        cluster.create("bench", object, true);
    }
    let before = cpu_seconds(pid)?;
    let mut times = Vec::with_capacity(n);
    let mut status = 0;
    for _ in 0..n {
        let started = Instant::now();
        status = cluster.create("bench", object, true).status;
        times.push(started.elapsed());
    }
    let cpu = (cpu_seconds(pid)? - before) * 1000.0 / n as f64;
    times.sort();
    Ok((cpu, times[n / 2].as_secs_f64() * 1000.0, status))
}

/// User and system CPU time of a process, in seconds (Linux `/proc`).
fn cpu_seconds(pid: u32) -> Result<f64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // USER_HZ is 100 on Linux.
    Ok((ticks(11) + ticks(12)) / 100.0)
}

fn trivial_policy() -> String {
    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: bench-true}\n\
     spec:\n  failurePolicy: Fail\n  matchConstraints:\n    resourceRules:\n      \
     - {apiGroups: [\"\", apps], apiVersions: [v1], resources: [pods, deployments], operations: [CREATE, UPDATE]}\n  \
     validations:\n    - expression: \"true\"\n---\n\
     apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: bench-true}\n\
     spec: {policyName: bench-true, validationActions: [Deny]}\n"
        .to_owned()
}

fn deployment() -> Value {
    let digest = format!("sha256:{}", "0".repeat(64));
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"securityContext": {"runAsNonRoot": true}, "containers": [{
                "name": "app", "image": format!("nginxinc/nginx-unprivileged:1.27@{digest}"),
                "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}],
                "volumes": [{"name": "tmp", "emptyDir": {}}]}}}
    })
}
