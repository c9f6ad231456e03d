//! The same policy as a WASI command (Kubewarden `executionMode: wasi`):
//! `policy.wasm validate` / `validate-settings`, JSON on stdin and stdout,
//! run under wasmtime as a library with in-memory pipes.

use kube_immutable_tests::{fixture, payload, run_wasi, wasi_module};
use serde_json::{json, Value};

#[test]
fn it_is_a_plain_wasi_command_without_wapc_imports() {
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, wasi_module()).expect("compiles");
    let imports: Vec<String> = module.imports().map(|i| i.module().to_owned()).collect();
    assert!(
        imports.iter().all(|m| m == "wasi_snapshot_preview1"),
        "{imports:?}"
    );
    assert!(module.get_export("_start").is_some());
    assert!(module.get_export("__guest_call").is_none());
}

#[test]
fn validate_rejects_the_tutorials_mutable_pod() {
    let run = run_wasi(&["validate"], &payload("mutable-pod.json", "{}"));
    assert_eq!(run.exit_code, 0, "{run:?}");
    let answer = run.json();
    assert_eq!(answer["accepted"], false, "{answer:#}");
    assert_eq!(answer["code"], 403, "{answer:#}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "kube-immutable: Pod/nginx-mutable is not immutable (4 findings):\n- privileged: "
        ),
        "{message}"
    );
}

#[test]
fn validate_gives_the_same_answers_as_the_wapc_module() {
    // Same code, same answers: spot-check the verdicts of every fixture.
    for (name, accepted, code) in [
        ("immutable-pod.json", true, Value::Null),
        ("deployment.json", false, json!(403)),
        ("deployment-restricted.json", true, Value::Null),
        ("cronjob.json", false, json!(403)),
        ("update-deployment.json", false, json!(403)),
        ("delete-pod.json", true, Value::Null),
        ("service.json", true, Value::Null),
        ("malformed-request.json", false, json!(400)),
        ("malformed-object.json", false, json!(400)),
        ("invalid-types.json", false, json!(400)),
        // The annotation is not honoured under default settings.
        ("exempt-annotation.json", false, json!(403)),
    ] {
        let answer = run_wasi(&["validate"], &payload(name, "{}")).json();
        assert_eq!(answer["accepted"], accepted, "{name}: {answer:#}");
        assert_eq!(answer["code"], code, "{name}: {answer:#}");
        assert_eq!(answer["mutated_object"], Value::Null, "{name}: {answer:#}");
    }
    let answer = run_wasi(
        &["validate"],
        &payload(
            "exempt-namespace.json",
            r#"{"exemptions": {"namespaces": ["kube-system"]}}"#,
        ),
    )
    .json();
    assert_eq!(answer["accepted"], true, "{answer:#}");
}

#[test]
fn validate_warns_about_the_fixed_pod() {
    let answer = run_wasi(&["validate"], &payload("immutable-pod.json", "{}")).json();
    assert_eq!(answer["accepted"], true, "{answer:#}");
    // privilege-escalation-not-disabled, may-run-as-root and
    // capabilities-not-restricted.
    assert_eq!(
        answer["warnings"].as_array().map(Vec::len),
        Some(3),
        "{answer:#}"
    );
}

#[test]
fn mutate_mode_works_there_too() {
    let answer = run_wasi(
        &["validate"],
        &payload(
            "mutable-pod.json",
            r#"{"mode": "mutate", "unsafeFixes": true}"#,
        ),
    )
    .json();
    assert_eq!(answer["accepted"], true, "{answer:#}");
    assert!(answer["mutated_object"].is_object(), "{answer:#}");
}

#[test]
fn validate_settings_reads_the_settings_on_stdin() {
    let run = run_wasi(
        &["validate-settings"],
        fixture("settings-valid.json").as_bytes(),
    );
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(run.json(), json!({"valid": true, "message": null}));

    let answer = run_wasi(
        &["validate-settings"],
        fixture("settings-invalid-unknown-key.json").as_bytes(),
    )
    .json();
    assert_eq!(answer["valid"], false, "{answer:#}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown field `exemptNamespaces`")),
        "{answer:#}"
    );
}

#[test]
fn protocol_version_and_usage_errors() {
    let run = run_wasi(&["protocol-version"], b"");
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(run.json(), json!("v1"));

    for args in [&[][..], &["mutate"][..]] {
        let run = run_wasi(args, b"");
        assert_eq!(run.exit_code, 2, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("usage: "),
            "{run:?}"
        );
    }
}
