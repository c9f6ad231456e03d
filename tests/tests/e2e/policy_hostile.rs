//! The policy under worst-case and malformed requests, through the waPC
//! host Kubewarden uses: every request is answered, accepted or rejected
//! with a message; never a trap (a trap, or a timeout, in an admission
//! controller that fails closed blocks a cluster's deployments). Latency of
//! the worst case is measured in `benches/policy.rs`, not here.

use std::sync::OnceLock;

use kube_immutable_tests::{worst_case_payload, Policy};
use serde_json::{json, Value};

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(Policy::load)
}

/// The answer of a fresh instance; `call` panics on a trap or non-JSON.
fn ask(payload: &[u8]) -> Value {
    let answer = policy().call("validate", payload);
    assert!(answer["accepted"].is_boolean(), "{answer:#}");
    if answer["accepted"] == false {
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("kube-immutable: "), "{answer:#}");
        assert!(answer["code"].is_u64(), "{answer:#}");
    }
    answer
}

fn rejected_with(payload: &[u8], code: u64, needle: &str) {
    let answer = ask(payload);
    let request = String::from_utf8_lossy(payload);
    assert_eq!(answer["accepted"], false, "{request}: {answer:#}");
    assert_eq!(answer["code"], code, "{answer:#}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "expected {needle:?} in {answer:#}"
    );
}

#[test]
fn a_request_at_the_api_servers_size_limit_is_answered() {
    // 3,000 containers with 16 env vars and 16 args each: ~3 MB.
    let payload = worst_case_payload(3_000, 16, "{}");
    assert!(
        (2_500_000..3_300_000).contains(&payload.len()),
        "{} bytes",
        payload.len()
    );
    let answer = ask(&payload);
    assert_eq!(answer["accepted"], false);
    assert_eq!(answer["code"], 403);
    let message = answer["message"].as_str().unwrap();
    // The message is capped, whatever the number of findings.
    assert!(message.lines().count() <= 14, "{message}");
    assert!(
        message.contains("c2999") || message.contains("more"),
        "{message}"
    );

    // Mutate mode returns the whole fixed object, or rejects what remains.
    let payload = worst_case_payload(3_000, 16, r#"{"mode": "mutate", "unsafeFixes": true}"#);
    let answer = ask(&payload);
    if answer["accepted"] == true {
        let containers = &answer["mutated_object"]["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers.as_array().map(Vec::len), Some(3_000));
        assert_eq!(containers[2_999]["securityContext"]["privileged"], false);
    }
}

#[test]
fn malformed_payloads_are_rejected_with_a_message() {
    for (payload, needle) in [
        (&b"\xff\xfe{"[..], "the payload must be a JSON object"),
        (b"{\"request\": null}", "malformed admission request: invalid type: null"),
        (b"{\"request\": \"x\"}", "malformed admission request: invalid type: string"),
        (b"{\"request\": []}", "malformed admission request"),
        (
            b"{\"request\": {\"operation\": \"CREATE\", \"object\": {\"kind\": \"P\xffod\"}}}",
            "malformed admission request: invalid unicode",
        ),
        (
            br#"{"request": {"operation": "CREATE", "object": {"kind": "Pod", "spec": {"securityContext": {"runAsUser": 1e400}}}}}"#,
            "malformed admission request: number out of range",
        ),
        (
            br#"{"request": {"kind": 7, "operation": "CREATE", "object": {}}}"#,
            "malformed admission request: invalid type: integer",
        ),
    ] {
        rejected_with(payload, 400, needle);
    }
    // Invalid UTF-8 in a field nobody reads is skipped, as serde_json skips
    // it: answered all the same.
    ask(b"{\"request\": {\"object\": {}}, \"x\": \"\xff\"}");
}

#[test]
fn nesting_past_serde_jsons_limit_is_rejected_not_a_stack_overflow() {
    for depth in [200, 10_000, 1_000_000] {
        let object = format!(
            r#"{{"kind": "Pod", "spec": {{"x": {}{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let payload = format!(r#"{{"request": {{"operation": "CREATE", "object": {object}}}}}"#);
        rejected_with(payload.as_bytes(), 400, "recursion limit exceeded");
    }
    // Within the limit: read, and the unknown field ignored.
    let object = format!(
        r#"{{"kind": "Pod", "spec": {{"x": {}{}, "hostPID": true}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let payload = format!(r#"{{"request": {{"operation": "CREATE", "object": {object}}}}}"#);
    rejected_with(payload.as_bytes(), 403, "host-namespaces");
}

#[test]
fn nulls_and_wrong_types_everywhere_are_answered() {
    let objects = [
        json!(null),
        json!({"kind": null, "metadata": null, "spec": null}),
        json!({"kind": "Pod", "metadata": null, "spec": null}),
        json!({"kind": "Pod", "spec": []}),
        json!({"kind": "Pod", "spec": "x"}),
        json!({"kind": "Pod", "spec": {"containers": null, "initContainers": null, "ephemeralContainers": null, "volumes": null, "securityContext": null}}),
        json!({"kind": "Pod", "spec": {"containers": [null, 1, "x", [], {}]}}),
        json!({"kind": "Pod", "spec": {"containers": [{"name": null, "image": null, "securityContext": null, "volumeMounts": null}]}}),
        json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "securityContext": {"privileged": null, "runAsUser": null, "capabilities": null}, "volumeMounts": [null, {"mountPath": null}]}]}}),
        json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "securityContext": {"privileged": "true", "runAsUser": "root", "readOnlyRootFilesystem": 1}}]}}),
        json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "securityContext": {"runAsUser": -1}}]}}),
        json!({"kind": "Pod", "spec": {"hostPID": "yes", "hostNetwork": null, "volumes": [null, {"name": null, "emptyDir": null}]}}),
        json!({"kind": "Deployment", "spec": null}),
        json!({"kind": "Deployment", "spec": {"template": null}}),
        json!({"kind": "Deployment", "spec": {"template": {"spec": null}}}),
        json!({"kind": "Deployment", "spec": {"template": []}}),
        json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": null}}}}}}),
        json!({"kind": "List", "items": null}),
        json!({"kind": "List", "items": [null, 1, {"kind": "Pod", "spec": null}]}),
        json!({"kind": 1, "apiVersion": [], "metadata": {"name": {}, "namespace": 2, "annotations": {"kube-immutable.io/ignore": null}}}),
        json!({"kind": "Pod", "metadata": {"annotations": {"kube-immutable.io/ignore": 7}}, "spec": {"hostPID": true}}),
        json!({"kind": "Pod", "metadata": {"annotations": null, "labels": []}, "spec": {"hostPID": true}}),
    ];
    for object in &objects {
        for settings in [
            json!(null),
            json!({}),
            json!({"mode": "mutate", "unsafeFixes": true}),
        ] {
            for request in [
                json!({"operation": "CREATE", "object": object}),
                json!({"operation": null, "kind": null, "namespace": null, "object": object, "oldObject": null}),
                json!({"operation": "UPDATE", "kind": {"kind": "Deployment"}, "object": object, "oldObject": object}),
            ] {
                let payload = json!({"request": request, "settings": settings}).to_string();
                let answer = ask(payload.as_bytes());
                if object.is_object() && object["spec"].is_string() {
                    assert_eq!(answer["accepted"], false, "{payload}: {answer:#}");
                }
            }
        }
    }
}

/// Limits are not settings: a settings key that looks like one is refused
/// like any unknown key, so no deployment can turn a bound off.
#[test]
fn settings_cannot_change_the_limits() {
    for settings in [
        r#"{"maxDepth": 100000}"#,
        r#"{"limits": null}"#,
        r#"{"max_nodes": 0}"#,
    ] {
        let answer = policy().call("validate_settings", settings.as_bytes());
        assert_eq!(answer["valid"], false, "{settings}: {answer:#}");
        assert!(answer["message"].is_string(), "{settings}: {answer:#}");
    }
}
