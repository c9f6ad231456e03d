//! Fixes whose result Kubernetes accepts: issue #19's named cases, in
//! `tests/fixtures/cluster/fixes/` at the repository's root. The cluster
//! tests (`tests/tests/cluster/fixes.rs`) send each case and its fixed
//! versions to a real API server; these tests pin what the fixer does with
//! them, without one.

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{check_text, Applicability, Finding, Operation, Settings};

fn case(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/cluster/fixes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn findings<'r>(findings: &'r [Finding], rule: &str, container: &str) -> Vec<&'r Finding> {
    findings
        .iter()
        .filter(|f| f.rule == rule && f.container.as_deref() == Some(container))
        .collect()
}

fn fixed(text: &str, unsafe_fixes: bool) -> String {
    fix_text(text, &Settings::default(), FixOptions { unsafe_fixes }).text
}

/// "Bidirectional mount propagation is available only to privileged
/// containers": `privileged: false` alone would be refused.
#[test]
fn unprivileging_a_container_with_bidirectional_mounts_makes_them_host_to_container() {
    let text = case("bidirectional-mount.yaml");
    let report = check_text(&text, &Settings::default());
    let init = findings(&report.findings, "privileged", "mount-bpffs");
    let fix = init[0].fix.as_ref().expect("a fix");
    assert_eq!(fix.applicability, Applicability::Unsafe);
    let paths: Vec<&str> = fix.operations.iter().map(Operation::path).collect();
    assert_eq!(
        paths,
        [
            "/spec/template/spec/initContainers/0/securityContext/privileged",
            "/spec/template/spec/initContainers/0/volumeMounts/0/mountPropagation",
            "/spec/template/spec/initContainers/0/volumeMounts/1/mountPropagation",
        ]
    );
    // The other container has no such mount: its fix stays safe.
    let main = findings(&report.findings, "privileged", "calico-node");
    assert_eq!(
        main[0].fix.as_ref().map(|f| f.applicability),
        Some(Applicability::Safe)
    );

    let safe = fixed(&text, false);
    assert_eq!(safe.matches("privileged: true").count(), 1, "{safe}");
    assert_eq!(
        safe.matches("mountPropagation: Bidirectional").count(),
        2,
        "{safe}"
    );
    let all = fixed(&text, true);
    assert!(!all.contains("privileged: true"), "{all}");
    assert!(!all.contains("mountPropagation: Bidirectional"), "{all}");
    assert_eq!(
        all.matches("mountPropagation: HostToContainer").count(),
        2,
        "{all}"
    );
}

/// The API server refuses `allowPrivilegeEscalation: false` beside
/// `CAP_SYS_ADMIN` (that exact spelling) or `privileged: true`.
#[test]
fn escalation_fixes_are_unsafe_only_where_the_api_server_refuses_them() {
    let text = case("cap-sys-admin.yaml");
    let report = check_text(&text, &Settings::default());
    let applicability = |container: &str| {
        findings(
            &report.findings,
            "privilege-escalation-not-disabled",
            container,
        )
        .iter()
        .chain(&findings(
            &report.findings,
            "allow-privilege-escalation",
            container,
        ))
        .map(|f| f.fix.as_ref().map(|fix| fix.applicability))
        .collect::<Vec<_>>()
    };
    // No fix where the API server would refuse it, even as unsafe: with
    // `privileged` kept (the rule off, or lifted by the annotation) `fix
    // --unsafe-fixes` would produce an object Kubernetes refuses.
    assert_eq!(applicability("fuse"), [None]);
    assert_eq!(applicability("sys-admin"), [Some(Applicability::Safe)]);
    assert_eq!(applicability("both"), [None]);
    // Safe fixes: `privileged` goes first, then escalation can be disabled.
    let safe = fixed(&text, false);
    assert!(!safe.contains("allowPrivilegeEscalation: true"), "{safe}");
    let after = check_text(&safe, &Settings::default());
    assert_eq!(
        applicability_after(&after.findings, "fuse"),
        [None],
        "{safe}"
    );
    // With `privileged` off, nothing sets escalation beside it.
    let off = Settings::from_json_str(r#"{"rules": {"privileged": "off"}}"#).unwrap();
    let all = fix_text(&text, &off, FixOptions { unsafe_fixes: true }).text;
    assert!(
        all.contains("privileged: true\n        allowPrivilegeEscalation: true"),
        "{all}"
    );
}

fn applicability_after(findings: &[Finding], container: &str) -> Vec<Option<Applicability>> {
    findings
        .iter()
        .filter(|f| {
            f.rule == "privilege-escalation-not-disabled"
                && f.container.as_deref() == Some(container)
        })
        .map(|f| f.fix.as_ref().map(|fix| fix.applicability))
        .collect()
}

/// "hostNetwork must be true if pod contains any hostProcess containers".
#[test]
fn a_host_process_pod_keeps_host_network() {
    let text = case("windows-host-process.yaml");
    let report = check_text(&text, &Settings::default());
    let host_network: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "host-namespaces")
        .collect();
    assert_eq!(host_network.len(), 1);
    assert!(host_network[0].fix.is_none());
    assert!(
        host_network[0].help.en.contains("HostProcess"),
        "{}",
        host_network[0].help.en
    );
    // Other fixes apply; `hostNetwork` stays.
    assert!(fixed(&text, true).contains("\n  hostNetwork: true\n"));
}

/// A mount at a block device's path is refused; an emptyDir is never named
/// like another kind of volume; a mounted path is not mounted again.
#[test]
fn new_mounts_avoid_device_paths_mounted_paths_and_other_volumes_names() {
    let text = case("volume-collisions.yaml");
    let out = fixed(&text, false);
    let after = check_text(&out, &Settings::default());
    assert!(
        after
            .findings
            .iter()
            .all(|f| f.rule != "writable-root-filesystem"),
        "{out}"
    );
    assert!(
        !out.contains("mountPath: /tmp"),
        "a mount at the device's path:\n{out}"
    );
    assert_eq!(out.matches("mountPath: /var/run").count(), 1, "{out}");
    assert!(out.contains("name: nginx-cache-2"), "{out}");
    assert!(out.contains("mountPath: /var/cache/nginx"), "{out}");
}
