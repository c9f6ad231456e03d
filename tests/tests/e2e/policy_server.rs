//! The policy in Kubewarden's policy-server, as a cluster runs it: one
//! server on 127.0.0.1 over plain HTTP holding the annotated waPC module and
//! the annotated WASI command, each in validate and mutate mode; every
//! admission fixture posted as an `AdmissionReview`; the answers checked as
//! the API server receives them. The server is stopped (by its PID) when the
//! test ends.
//!
//! Skipped, with a message, when policy-server or kwctl (which annotates
//! the modules) is not found.

use std::path::Path;

use kube_immutable_tests::kubewarden::{
    admission_review, check_admission_response, decode_patch, request_fixtures, settings_cases,
    skipped, tutorial_pod_rejected, Kwctl, PolicyServerTool, Verdict, KWCTL_ENV, POLICY_SERVER_ENV,
    VERDICTS,
};
use kube_immutable_tests::{fixture, Policy};
use serde_json::{json, Value};

fn tools() -> Option<(PolicyServerTool, Kwctl)> {
    let Some(server) = PolicyServerTool::find() else {
        skipped("policy-server", POLICY_SERVER_ENV);
        return None;
    };
    let Some(kwctl) = Kwctl::find() else {
        skipped("kwctl", KWCTL_ENV);
        return None;
    };
    Some((server, kwctl))
}

/// One `policies.yml` entry (settings as JSON, which is YAML).
fn entry(name: &str, module: &Path, allowed_to_mutate: bool, settings: &str) -> String {
    let settings: Value = serde_json::from_str(settings).expect("settings are JSON");
    format!(
        "{name}:\n  module: file://{}\n  allowedToMutate: {allowed_to_mutate}\n  settings: {settings}\n",
        module.display()
    )
}

/// A mutate-mode policy deployed as non-mutating: policy-server must reject
/// what it would patch. The control that shows `allowedToMutate: false`
/// would catch a validate mode that returned a patch.
const NOT_ALLOWED_TO_MUTATE: &str = "wapc-mutate-not-allowed";

fn policies_yml(kwctl: &Kwctl) -> String {
    let mut yml = String::new();
    for (face, module) in [
        ("wapc", kwctl.annotated_wapc()),
        ("wasi", kwctl.annotated_wasi()),
    ] {
        for (settings_name, settings, validate_mode) in settings_cases() {
            // Validate mode is deployed with `mutating: false`.
            yml.push_str(&entry(
                &format!("{face}-{settings_name}"),
                &module,
                !validate_mode,
                &settings,
            ));
        }
    }
    yml.push_str(&entry(
        NOT_ALLOWED_TO_MUTATE,
        &kwctl.annotated_wapc(),
        false,
        r#"{"mode": "mutate", "unsafeFixes": true}"#,
    ));
    yml
}

#[test]
fn every_fixture_through_policy_server() {
    let Some((tool, kwctl)) = tools() else { return };
    let server = tool
        .start(&policies_yml(&kwctl))
        .unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy::from_bytes(&std::fs::read(kwctl.annotated_wapc()).expect("annotated"));
    let names: Vec<&str> = VERDICTS.iter().map(|(name, _)| *name).collect();
    assert_eq!(request_fixtures(), names);

    let mut answers = 0;
    for (name, verdicts) in VERDICTS {
        for face in ["wapc", "wasi"] {
            for ((settings_name, settings, validate_mode), verdict) in
                settings_cases().into_iter().zip(verdicts)
            {
                let endpoint = format!("/validate/{face}-{settings_name}");
                let context = format!("{endpoint} {name}");
                if *verdict == Verdict::NotJson {
                    // Not JSON: policy-server answers 400 itself.
                    let body = format!(
                        "{{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {}}}",
                        fixture(name)
                    );
                    let response = server.post(&endpoint, body.as_bytes());
                    assert_eq!(response.status, 400, "{context}: {}", response.body);
                    assert!(
                        response
                            .body
                            .contains("Failed to parse the request body as JSON"),
                        "{context}: {}",
                        response.body
                    );
                    continue;
                }
                let request: Value = serde_json::from_str(&fixture(name)).expect("fixture");
                let response = server.review(&format!("{face}-{settings_name}"), &request);
                assert_eq!(Verdict::of(&response), *verdict, "{context}: {response:#}");
                if validate_mode {
                    assert_eq!(response.get("patch"), None, "{context}: {response:#}");
                }
                let payload = format!(
                    "{{\"request\": {}, \"settings\": {settings}}}",
                    fixture(name)
                );
                let expected = policy.call("validate", payload.as_bytes());
                check_admission_response(&context, &request, &expected, &response);
                answers += 1;
            }
        }
    }
    assert_eq!(answers, (VERDICTS.len() - 1) * 8);

    // The tutorial's pod, exactly as the API server receives it.
    let request: Value = serde_json::from_str(&fixture("mutable-pod.json")).expect("fixture");
    let rejected = server.review("wapc-validate", &request);
    assert_eq!(rejected, tutorial_pod_rejected());
    // The tutorial's fixed pod in safe mutate mode: one patch operation.
    let request: Value = serde_json::from_str(&fixture("immutable-pod.json")).expect("fixture");
    let fixed = server.review("wapc-mutate", &request);
    assert_eq!(fixed["allowed"], true, "{fixed:#}");
    assert_eq!(
        decode_patch(&fixed).expect("a patch"),
        json!([{"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false}])
    );
    assert_eq!(
        fixed["warnings"],
        json!([
            "kube-immutable: fixed privilege-escalation-not-disabled at /spec/containers/0/securityContext/allowPrivilegeEscalation: Set `allowPrivilegeEscalation: false`",
            "kube-immutable: may-run-as-root: Pod/nginx-immutable container \"nginx\" at /spec/containers/0/securityContext/runAsNonRoot: Set `runAsNonRoot: true` in the pod `securityContext` and use an image that runs as a non-root user.",
            "kube-immutable: capabilities-not-restricted: Pod/nginx-immutable container \"nginx\" at /spec/containers/0/securityContext/capabilities/drop: Add `ALL` to `securityContext.capabilities.drop`; add back only `NET_BIND_SERVICE` if the container binds a port…"
        ])
    );

    // The control: a policy that patches, deployed as non-mutating, gets the
    // request rejected. Validate mode, deployed the same way above, never was.
    let request: Value = serde_json::from_str(&fixture("mutable-pod.json")).expect("fixture");
    let refused = server.review(NOT_ALLOWED_TO_MUTATE, &request);
    assert_eq!(refused["allowed"], false, "{refused:#}");
    assert_eq!(refused.get("patch"), None, "{refused:#}");
    assert_eq!(
        refused["status"]["message"],
        format!(
            "Request rejected by policy {NOT_ALLOWED_TO_MUTATE}. The policy attempted to mutate \
             the request, but it is currently configured to not allow mutations."
        ),
        "{refused:#}"
    );

    // Unknown policies and bare AdmissionRequests are refused by the server.
    let unknown = server.post("/validate/nope", admission_review(&request).as_bytes());
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let bare = server.post(
        "/validate/wapc-validate",
        fixture("mutable-pod.json").as_bytes(),
    );
    assert_eq!(bare.status, 422, "{}", bare.body);
    drop(server);
}

#[test]
fn policy_server_refuses_to_start_with_invalid_settings() {
    let Some((tool, kwctl)) = tools() else { return };
    let policy = Policy::from_bytes(&std::fs::read(kwctl.annotated_wapc()).expect("annotated"));
    for file in [
        "settings-invalid-unknown-key.json",
        "settings-invalid-unknown-rule.json",
        "settings-invalid-wrong-type.json",
    ] {
        let answer = policy.call("validate_settings", fixture(file).as_bytes());
        let expected = format!(
            "Policy settings are invalid: {}",
            answer["message"].as_str().unwrap_or_default()
        );
        let yml = entry(
            "kube-immutable",
            &kwctl.annotated_wapc(),
            false,
            &fixture(file),
        );
        match tool.start(&yml) {
            Ok(server) => panic!("{file}: policy-server started:\n{}", server.log()),
            Err(message) => assert!(message.contains(&expected), "{file}: {message}"),
        }
    }
}
