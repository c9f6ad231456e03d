//! The policy module through a real waPC host (`wapc` + `wasmtime-provider`,
//! what Kubewarden's policy-server uses), one fresh instance per request as
//! policy-server does. Fixtures: `tests/fixtures/admission/*.json`.

use std::sync::OnceLock;

use kube_immutable_tests::{call, fixture, payload, worst_case_payload, Policy};
use serde_json::{json, Value};

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(Policy::load)
}

fn validate(request_fixture: &str, settings: &str) -> Value {
    policy().call("validate", &payload(request_fixture, settings))
}

fn message(answer: &Value) -> &str {
    answer["message"].as_str().unwrap_or_default()
}

fn warnings(answer: &Value) -> Vec<&str> {
    answer["warnings"]
        .as_array()
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Accepted, with no message, code or mutation.
fn assert_accepted(answer: &Value) {
    assert_eq!(answer["accepted"], true, "{answer:#}");
    assert_eq!(answer["message"], Value::Null, "{answer:#}");
    assert_eq!(answer["code"], Value::Null, "{answer:#}");
    assert_eq!(answer["mutated_object"], Value::Null, "{answer:#}");
}

fn assert_rejected(answer: &Value, code: u64) {
    assert_eq!(answer["accepted"], false, "{answer:#}");
    assert_eq!(answer["code"], code, "{answer:#}");
    assert_eq!(answer["mutated_object"], Value::Null, "{answer:#}");
}

#[test]
fn protocol_version_is_v1() {
    let answer = policy().call("protocol_version", b"");
    assert_eq!(answer, json!("v1"));
}

#[test]
fn the_tutorials_mutable_pod_is_rejected_with_one_line_per_finding() {
    let answer = validate("mutable-pod.json", "{}");
    assert_rejected(&answer, 403);
    let message = message(&answer);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0], "kube-immutable: Pod/nginx-mutable is not immutable (4 findings):",
        "{message}"
    );
    let expected = [
        (
            "privileged",
            "/spec/containers/0/securityContext/privileged",
        ),
        (
            "allow-privilege-escalation",
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
        ),
        (
            "run-as-root",
            "/spec/containers/0/securityContext/runAsUser",
        ),
        (
            "writable-root-filesystem",
            "/spec/containers/0/securityContext/readOnlyRootFilesystem",
        ),
    ];
    assert_eq!(lines.len(), 1 + expected.len(), "{message}");
    for (rule, pointer) in expected {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("- {rule}: ")))
            .unwrap_or_else(|| panic!("no line for {rule}:\n{message}"));
        assert!(
            line.contains(&format!(
                "Pod/nginx-mutable container \"nginx\" at {pointer}: "
            )),
            "{line}"
        );
    }
    assert!(message.contains("Set `privileged: false`"), "{message}");
    assert!(message.contains("/var/cache/nginx"), "{message}");
    // Short enough for kubectl: one line per finding, none of them huge.
    assert!(lines.iter().all(|l| l.len() < 300), "{message}");
    // The warning-level findings still reach kubectl as warnings.
    let warnings = warnings(&answer);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("kube-immutable: may-run-as-root: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/runAsNonRoot: "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("kube-immutable: capabilities-not-restricted: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/capabilities/drop: "),
        "{warnings:?}"
    );
}

#[test]
fn the_tutorials_fixed_pod_is_accepted_with_warnings() {
    let answer = validate("immutable-pod.json", "{}");
    assert_accepted(&answer);
    let warnings = warnings(&answer);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].starts_with("kube-immutable: privilege-escalation-not-disabled: Pod/nginx-immutable container \"nginx\" at /spec/containers/0/securityContext/allowPrivilegeEscalation: "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with(
            "kube-immutable: may-run-as-root: Pod/nginx-immutable container \"nginx\""
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[2].starts_with(
            "kube-immutable: capabilities-not-restricted: Pod/nginx-immutable container \"nginx\""
        ),
        "{warnings:?}"
    );
    assert!(warnings.iter().all(|w| w.chars().count() <= 256));
}

#[test]
fn settings_can_turn_warnings_off_or_into_errors() {
    let quiet = r#"{"rules": {"privilege-escalation-not-disabled": "off", "may-run-as-root": "off", "capabilities-not-restricted": "off"}}"#;
    let answer = validate("immutable-pod.json", quiet);
    assert_accepted(&answer);
    assert_eq!(answer["warnings"], Value::Null, "{answer:#}");

    let answer = validate("immutable-pod.json", &fixture("settings-valid.json"));
    assert_rejected(&answer, 403);
    assert_eq!(
        message(&answer),
        "kube-immutable: Pod/nginx-immutable is not immutable (1 finding):\n\
         - may-run-as-root: Pod/nginx-immutable container \"nginx\" at /spec/containers/0/securityContext/runAsNonRoot: \
         Set `runAsNonRoot: true` in the pod `securityContext` and use an image that runs as a non-root user."
    );
}

#[test]
fn a_deployment_is_checked_in_its_pod_template() {
    let answer = validate("deployment.json", "{}");
    assert_rejected(&answer, 403);
    assert_eq!(
        message(&answer),
        "kube-immutable: Deployment/shop-frontend is not immutable (1 finding):\n\
         - writable-root-filesystem: Deployment/shop-frontend container \"frontend\" at \
         /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem: \
         Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the application writes (at least /tmp)."
    );
    assert_eq!(answer["warnings"], Value::Null, "{answer:#}");

    let answer = validate("deployment-restricted.json", "{}");
    assert_accepted(&answer);
    assert_eq!(answer["warnings"], Value::Null, "{answer:#}");
}

#[test]
fn a_cronjob_is_checked_in_its_job_template() {
    let answer = validate("cronjob.json", "{}");
    assert_rejected(&answer, 403);
    let message = message(&answer);
    assert!(
        message
            .starts_with("kube-immutable: CronJob/nightly-backup is not immutable (2 findings):\n"),
        "{message}"
    );
    assert!(
        message.contains("\n- host-namespaces: CronJob/nightly-backup at /spec/jobTemplate/spec/template/spec/hostNetwork: Remove `hostNetwork`"),
        "{message}"
    );
    assert!(
        message.contains("\n- privileged: CronJob/nightly-backup container \"backup\" at /spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged: "),
        "{message}"
    );
}

#[test]
fn an_update_is_checked_on_the_new_object() {
    let answer = validate("update-deployment.json", "{}");
    assert_rejected(&answer, 403);
    let message = message(&answer);
    assert!(
        message.contains(
            "- host-namespaces: Deployment/shop-frontend at /spec/template/spec/hostPID: "
        ),
        "{message}"
    );
    assert!(
        message.contains("- run-as-root: Deployment/shop-frontend container \"proxy\" at /spec/template/spec/containers/1/securityContext/runAsUser: "),
        "{message}"
    );
}

#[test]
fn custom_resources_are_checked_in_their_pod_templates() {
    let answer = validate("rollout.json", "{}");
    assert_rejected(&answer, 403);
    assert_eq!(
        message(&answer),
        "kube-immutable: Rollout/rollout-canary is not immutable (2 findings):\n\
         - privileged: Rollout/rollout-canary container \"rollouts-demo\" at \
         /spec/template/spec/containers/0/securityContext/privileged: Set `privileged: false` (or remove the field).\n\
         - writable-root-filesystem: Rollout/rollout-canary container \"rollouts-demo\" at \
         /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem: \
         Set `readOnlyRootFilesystem: true` and mount an `emptyDir` at each path this image writes: /tmp."
    );
    let answer = validate("knative-service.json", "{}");
    assert_rejected(&answer, 403);
    // Knative lets a container go unnamed (it names it `user-container`):
    // the pointer says which.
    assert_eq!(
        message(&answer),
        "kube-immutable: Service/helloworld-go is not immutable (1 finding):\n\
         - run-as-root: Service/helloworld-go at /spec/template/spec/containers/0/securityContext/runAsUser: \
         Remove `runAsUser: 0`, set `runAsNonRoot: true` and a non-root `runAsUser`."
    );
    // The core Service of the same shape is not Knative's.
    let mut request: Value =
        serde_json::from_str(&fixture("knative-service.json")).expect("fixture is JSON");
    request["kind"] = json!({"group": "", "version": "v1", "kind": "Service"});
    request["object"]["apiVersion"] = json!("v1");
    let payload = json!({"request": request, "settings": {}}).to_string();
    assert_accepted(&policy().call("validate", payload.as_bytes()));
}

#[test]
fn request_kind_gives_an_object_without_one_its_group_and_kind() {
    // The API server always sends both; a hand-made request may not. The
    // request's `kind` then says what the object is, and a mutated object
    // comes back without what was only added to check it.
    let mut request: Value =
        serde_json::from_str(&fixture("rollout.json")).expect("fixture is JSON");
    let object = request["object"].as_object_mut().expect("an object");
    object.remove("apiVersion");
    object.remove("kind");
    let payload = json!({"request": request, "settings": {}}).to_string();
    let answer = policy().call("validate", payload.as_bytes());
    assert_rejected(&answer, 403);
    assert!(
        message(&answer).contains("Rollout/rollout-canary is not immutable"),
        "{answer:#}"
    );
    let payload = json!({"request": request, "settings": {"mode": "mutate"}}).to_string();
    let answer = policy().call("validate", payload.as_bytes());
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = answer["mutated_object"]
        .as_object()
        .expect("a mutated object");
    assert!(
        !mutated.contains_key("apiVersion") && !mutated.contains_key("kind"),
        "{answer:#}"
    );
    // A different group is a different kind: not a workload.
    request["kind"]["group"] = json!("example.com");
    let payload = json!({"request": request, "settings": {}}).to_string();
    assert_accepted(&policy().call("validate", payload.as_bytes()));
}

#[test]
fn mutate_mode_on_a_rollout_fixes_it_as_a_deployment() {
    let answer = validate("rollout.json", &fixture("settings-mutate.json"));
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = &answer["mutated_object"];
    let container = &mutated["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["securityContext"]["privileged"], false,
        "{mutated:#}"
    );
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"], true,
        "{mutated:#}"
    );
    assert_accepted(&revalidate("rollout.json", mutated));
    // The same pod template in a Deployment is fixed the same way.
    let mut request: Value =
        serde_json::from_str(&fixture("rollout.json")).expect("fixture is JSON");
    request["kind"] = json!({"group": "apps", "version": "v1", "kind": "Deployment"});
    request["object"]["apiVersion"] = json!("apps/v1");
    request["object"]["kind"] = json!("Deployment");
    let payload = json!({"request": request, "settings": {"mode": "mutate"}}).to_string();
    let as_deployment = policy().call("validate", payload.as_bytes());
    assert_eq!(
        as_deployment["mutated_object"]["spec"], mutated["spec"],
        "{as_deployment:#}"
    );
    assert_eq!(
        warnings(&as_deployment),
        warnings(&answer)
            .iter()
            .map(|w| w.replace("Rollout/", "Deployment/"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_delete_has_no_object_and_is_accepted() {
    let answer = validate("delete-pod.json", "{}");
    assert_accepted(&answer);
    assert_eq!(answer["warnings"], Value::Null);
}

#[test]
fn kinds_without_a_pod_spec_are_accepted() {
    let answer = validate("service.json", "{}");
    assert_accepted(&answer);
    assert_eq!(answer["warnings"], Value::Null);
}

#[test]
fn a_malformed_request_is_rejected_with_a_clear_message() {
    let answer = validate("malformed-request.json", "{}");
    assert_rejected(&answer, 400);
    assert!(
        message(&answer).starts_with("kube-immutable: malformed admission request: "),
        "{answer:#}"
    );

    let answer = validate("malformed-object.json", "{}");
    assert_rejected(&answer, 400);
    assert_eq!(
        message(&answer),
        "kube-immutable: malformed admission request: `request.object` must be a JSON object, found an array"
    );

    for (payload, expected) in [
        (
            &b""[..],
            "malformed admission request: the payload must be a JSON object",
        ),
        (
            b"[]",
            "malformed admission request: the payload must be a JSON object",
        ),
        (
            b"{",
            "malformed admission request: EOF while parsing an object",
        ),
        (
            b"{}",
            "malformed admission request: missing field `request`",
        ),
        (
            br#"{"request": {"operation": "CREATE"}}"#,
            "`request.object` is missing (operation `CREATE`)",
        ),
        (
            br#"{"request": {"operation": "CREATE", "object": 42}}"#,
            "`request.object` must be a JSON object, found a number",
        ),
    ] {
        let answer = policy().call("validate", payload);
        assert_rejected(&answer, 400);
        assert!(message(&answer).contains(expected), "{answer:#}");
    }
}

#[test]
fn fields_of_the_wrong_type_are_rejected_with_the_cores_message() {
    let answer = validate("invalid-types.json", "{}");
    assert_rejected(&answer, 400);
    assert_eq!(
        message(&answer),
        "kube-immutable: the object is invalid:\n\
         - /spec/containers/0/securityContext/privileged: `privileged` must be a boolean, found a string \
         (write false without quotes): the API server rejects this object"
    );
}

#[test]
fn exempt_namespaces_use_the_requests_namespace() {
    // The object names no namespace; the request says kube-system.
    let answer = validate(
        "exempt-namespace.json",
        r#"{"exemptions": {"namespaces": ["kube-system"]}}"#,
    );
    assert_accepted(&answer);
    assert_eq!(answer["warnings"], Value::Null);

    let answer = validate("exempt-namespace.json", "{}");
    assert_rejected(&answer, 403);
    assert!(
        message(&answer).contains("- privileged: Pod/kube-proxy-x7k2p"),
        "{answer:#}"
    );
}

#[test]
fn exemptions_by_image_and_container() {
    let answer = validate(
        "exempt-namespace.json",
        r#"{"exemptions": {"images": ["registry.k8s.io/*"]}}"#,
    );
    // Container-level findings go; the pod-level `hostNetwork` stays.
    assert_rejected(&answer, 403);
    let message = message(&answer);
    assert!(message.contains("(1 finding)"), "{message}");
    assert!(
        message.contains("- host-namespaces: Pod/kube-proxy-x7k2p at /spec/hostNetwork: "),
        "{message}"
    );

    // A container-name exemption tied to its namespace (or image).
    let answer = validate(
        "deployment.json",
        r#"{"exemptions": {"containers": [{"name": "front*", "namespaces": ["shop"]}]}}"#,
    );
    assert_accepted(&answer);
    let answer = validate(
        "deployment.json",
        r#"{"exemptions": {"containers": [{"name": "front*", "namespaces": ["other"]}]}}"#,
    );
    assert_rejected(&answer, 403);
}

/// A tenant names its containers: a name alone exempts nothing in admission.
#[test]
fn a_container_name_exemption_must_be_tied_to_images_or_namespaces() {
    for settings in [
        r#"{"exemptions": {"containers": ["istio-proxy"]}}"#,
        r#"{"exemptions": {"containers": [{"name": "istio-proxy"}]}}"#,
    ] {
        let answer = policy().call("validate_settings", settings.as_bytes());
        assert_eq!(answer["valid"], false, "{settings}: {answer:#}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("exempts any container its author names `istio-proxy`")
                && message.contains("Tie it to the images it may run, or to namespaces"),
            "{message}"
        );
        // And a request with those settings is refused as a bad setting.
        assert_rejected(&validate("deployment.json", settings), 500);
    }
    let tied = r#"{"exemptions": {"containers": [{"name": "istio-proxy", "images": ["docker.io/istio/proxyv2:*"]}]}}"#;
    let answer = policy().call("validate_settings", tied.as_bytes());
    assert_eq!(answer["valid"], true, "{answer:#}");
}

/// Exemptions a tenant cannot forge: who asks (`request.userInfo`) and
/// the runtime class the operator trusts.
#[test]
fn requests_are_exempt_by_user_group_service_account_and_runtime_class() {
    let send = |user: Value, settings: &str, runtime_class: Option<&str>| {
        let mut request: Value =
            serde_json::from_str(&fixture("mutable-pod.json")).expect("fixture is JSON");
        request["userInfo"] = user;
        if let Some(rc) = runtime_class {
            request["object"]["spec"]["runtimeClassName"] = json!(rc);
        }
        let payload = json!({"request": request, "settings": serde_json::from_str::<Value>(settings).unwrap()});
        policy().call("validate", payload.to_string().as_bytes())
    };
    let tenant = json!({"username": "alice", "groups": ["devs", "system:authenticated"]});
    let ci = json!({"username": "system:serviceaccount:ci:deployer", "groups": ["system:serviceaccounts"]});
    for (user, settings, rc, accepted) in [
        (&tenant, "{}", None, false),
        (
            &tenant,
            r#"{"exemptions": {"usernames": ["alice"]}}"#,
            None,
            true,
        ),
        (
            &tenant,
            r#"{"exemptions": {"usernames": ["bob"]}}"#,
            None,
            false,
        ),
        (
            &tenant,
            r#"{"exemptions": {"groups": ["devs"]}}"#,
            None,
            true,
        ),
        (
            &ci,
            r#"{"exemptions": {"serviceAccounts": ["ci/deployer"]}}"#,
            None,
            true,
        ),
        (
            &ci,
            r#"{"exemptions": {"serviceAccounts": ["ci/other"]}}"#,
            None,
            false,
        ),
        (
            &tenant,
            r#"{"exemptions": {"serviceAccounts": ["ci/deployer"]}}"#,
            None,
            false,
        ),
        (
            &tenant,
            r#"{"exemptions": {"runtimeClasses": ["kata"]}}"#,
            Some("kata"),
            true,
        ),
        (
            &tenant,
            r#"{"exemptions": {"runtimeClasses": ["kata"]}}"#,
            Some("runc"),
            false,
        ),
    ] {
        let answer = send(user.clone(), settings, rc);
        assert_eq!(
            answer["accepted"], accepted,
            "{user} {settings} {rc:?}: {answer:#}"
        );
    }
}

/// The person who writes the object is the person the policy guards
/// against: by default the annotation lifts nothing, and says so.
#[test]
fn the_ignore_annotation_is_not_honoured_unless_the_operator_allows_it() {
    let answer = validate("exempt-annotation.json", "{}");
    assert_rejected(&answer, 403);
    let text = message(&answer);
    assert!(text.contains("(2 findings)"), "{text}");
    assert!(text.contains("- privileged: Pod/netdebug"), "{text}");
    assert!(
        text.contains("- allow-privilege-escalation: Pod/netdebug"),
        "{text}"
    );
    assert!(
        warnings(&answer)[0]
            .starts_with("kube-immutable: kube-immutable.io/ignore is not honoured by this policy"),
        "{answer:#}"
    );

    // Allowed by the operator: it turns off the rules it names, no more.
    let answer = validate(
        "exempt-annotation.json",
        r#"{"ignoreAnnotation": {"allowed": true}}"#,
    );
    assert_accepted(&answer);
    let listed = warnings(&answer);
    assert_eq!(listed.len(), 1, "{answer:#}");
    assert!(
        listed[0].starts_with("kube-immutable: capabilities-not-restricted: Pod/netdebug"),
        "{answer:#}"
    );

    // Narrowed to one rule: the other stays, and the warning names it.
    let answer = validate(
        "exempt-annotation.json",
        r#"{"ignoreAnnotation": {"allowed": true, "rules": ["privileged"]}}"#,
    );
    assert_rejected(&answer, 403);
    assert!(message(&answer).contains("(1 finding)"), "{answer:#}");
    assert!(
        message(&answer).contains("- allow-privilege-escalation: Pod/netdebug"),
        "{answer:#}"
    );
    assert!(
        warnings(&answer)
            .iter()
            .any(|w| w.contains("do not let it turn off `allow-privilege-escalation` here")),
        "{answer:#}"
    );

    // Narrowed to a namespace: honoured there only.
    let answer = validate(
        "exempt-annotation.json",
        r#"{"ignoreAnnotation": {"allowed": true, "namespaces": ["network"]}}"#,
    );
    assert_accepted(&answer);
    let answer = validate(
        "exempt-annotation.json",
        r#"{"ignoreAnnotation": {"allowed": true, "namespaces": ["monitoring"]}}"#,
    );
    assert_rejected(&answer, 403);
}

#[test]
fn an_ignore_that_ignores_nothing_is_a_warning_and_mutate_mode_removes_it() {
    let mut request: Value =
        serde_json::from_str(&fixture("exempt-annotation.json")).expect("fixture is JSON");
    let annotation = "privileged,host-ports,allow-privilege-escalation: tcpdump needs raw sockets";
    request["object"]["metadata"]["annotations"]["kube-immutable.io/ignore"] = json!(annotation);
    let payload = |settings: Value| json!({"request": request, "settings": settings}).to_string();
    // Not honoured (admission's default): nothing is stale, the annotation
    // is simply not used.
    let answer = policy().call("validate", payload(json!({})).as_bytes());
    assert!(
        warnings(&answer)
            .iter()
            .all(|w| !w.contains("unused-ignore")),
        "{answer:#}"
    );
    let allowed = json!({"ignoreAnnotation": {"allowed": true}});
    let answer = policy().call("validate", payload(allowed).as_bytes());
    assert_accepted(&answer);
    let warnings = warnings(&answer);
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "kube-immutable: unused-ignore: Pod/netdebug at /metadata/annotations/kube-immutable.io~1ignore: "
        )),
        "{answer:#}"
    );
    let answer = policy().call(
        "validate",
        payload(json!({"mode": "mutate", "ignoreAnnotation": {"allowed": true}})).as_bytes(),
    );
    assert_eq!(answer["accepted"], true, "{answer:#}");
    assert_eq!(
        answer["mutated_object"]["metadata"]["annotations"]["kube-immutable.io/ignore"],
        "privileged,allow-privilege-escalation: tcpdump needs raw sockets",
        "{answer:#}"
    );
}

#[test]
fn an_unknown_rule_in_an_allowed_ignore_annotation_silences_nothing() {
    // A typo must not silently exempt the object: the rule it meant still
    // reports, and the warning says why.
    let mut request: Value =
        serde_json::from_str(&fixture("exempt-annotation.json")).expect("fixture is JSON");
    request["object"]["metadata"]["annotations"]["kube-immutable.io/ignore"] =
        json!("privilegd: typo");
    let payload = json!({"request": request, "settings": {"ignoreAnnotation": {"allowed": true}}})
        .to_string();
    let answer = policy().call("validate", payload.as_bytes());
    assert_rejected(&answer, 403);
    assert!(
        message(&answer).contains("- privileged: Pod/netdebug"),
        "{answer:#}"
    );
    assert!(
        warnings(&answer)
            .iter()
            .any(|w| w.contains("unknown rule `privilegd` in annotation")),
        "{answer:#}"
    );
}

#[test]
fn settings_are_validated() {
    let valid = policy().call(
        "validate_settings",
        fixture("settings-valid.json").as_bytes(),
    );
    assert_eq!(valid, json!({"valid": true, "message": null}));
    let mutate = policy().call(
        "validate_settings",
        fixture("settings-mutate.json").as_bytes(),
    );
    assert_eq!(mutate, json!({"valid": true, "message": null}));
    let empty = policy().call("validate_settings", b"{}");
    assert_eq!(empty, json!({"valid": true, "message": null}));

    for (file, expected) in [
        (
            "settings-invalid-unknown-key.json",
            "unknown field `exemptNamespaces`",
        ),
        ("settings-invalid-wrong-type.json", "expected a sequence"),
        (
            "settings-invalid-unknown-rule.json",
            "unknown rule `privilegd` in `rules`",
        ),
        (
            "settings-invalid-untied-container.json",
            "exempts any container its author names `istio-proxy`",
        ),
    ] {
        let answer = policy().call("validate_settings", fixture(file).as_bytes());
        assert_eq!(answer["valid"], false, "{file}: {answer:#}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("invalid settings: "),
            "{file}: {message}"
        );
        assert!(message.contains(expected), "{file}: {message}");
    }
    for (payload, expected) in [
        (&b"not json"[..], "invalid settings: not JSON"),
        (br#"{"mode": "enforce"}"#, "unknown variant `enforce`"),
        (
            br#"{"unsafeFixes": "yes"}"#,
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            br#"{"exemptions": {"namespaces": [""]}}"#,
            "`exemptions.namespaces` has an empty entry",
        ),
    ] {
        let answer = policy().call("validate_settings", payload);
        assert_eq!(answer["valid"], false, "{answer:#}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains(expected),
            "{answer:#}"
        );
    }
}

#[test]
fn invalid_settings_reaching_validate_reject_the_request() {
    let answer = validate(
        "immutable-pod.json",
        &fixture("settings-invalid-unknown-key.json"),
    );
    assert_rejected(&answer, 500);
    assert!(
        message(&answer).contains("unknown field `exemptNamespaces`"),
        "{answer:#}"
    );
}

#[test]
fn validate_mode_never_mutates() {
    // Every fixture, with every validate-mode settings: the metadata says
    // `mutating: true` (mode `mutate` can), so this is what keeps a
    // validate-mode deployment (`mutating: false`) from being rejected.
    let fixtures = kube_immutable_tests::kubewarden::request_fixtures();
    assert!(fixtures.len() > 10, "{fixtures:?}");
    for fixture in &fixtures {
        for settings in [
            "{}",
            r#"{"mode": "validate"}"#,
            r#"{"mode": "validate", "unsafeFixes": true}"#,
            &kube_immutable_tests::fixture("settings-valid.json"),
        ] {
            let answer = validate(fixture, settings);
            assert_eq!(
                answer["mutated_object"],
                Value::Null,
                "{fixture} {settings}: {answer:#}"
            );
        }
    }
}

/// Validate an object (in validate mode, default settings) as if it had been
/// sent in `request_fixture`'s place.
fn revalidate(request_fixture: &str, object: &Value) -> Value {
    let mut request: Value =
        serde_json::from_str(&fixture(request_fixture)).expect("fixture is JSON");
    request["object"] = object.clone();
    let payload = json!({"request": request, "settings": {}}).to_string();
    policy().call("validate", payload.as_bytes())
}

#[test]
fn mutate_mode_applies_safe_fixes_and_rejects_what_remains() {
    let answer = validate("mutable-pod.json", &fixture("settings-mutate.json"));
    // `runAsUser: 0` has only an unsafe fix: still rejected, nothing returned.
    assert_rejected(&answer, 403);
    let message = message(&answer);
    assert!(message.contains("(1 finding)"), "{message}");
    assert!(
        message.contains("- run-as-root: Pod/nginx-mutable"),
        "{message}"
    );
}

#[test]
fn mutate_mode_with_unsafe_fixes_returns_an_object_that_passes() {
    let answer = validate(
        "mutable-pod.json",
        r#"{"mode": "mutate", "unsafeFixes": true}"#,
    );
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = &answer["mutated_object"];
    assert!(mutated.is_object(), "{answer:#}");
    // Only what the fixes changed: no namespace or kind added by the policy.
    assert_eq!(mutated["metadata"], json!({"name": "nginx-mutable"}));
    let security = &mutated["spec"]["containers"][0]["securityContext"];
    assert_eq!(security["privileged"], false, "{mutated:#}");
    assert_eq!(security["allowPrivilegeEscalation"], false, "{mutated:#}");
    assert_eq!(security["readOnlyRootFilesystem"], true, "{mutated:#}");
    // Every applied fix is reported to kubectl.
    let warnings = warnings(&answer);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("kube-immutable: fixed privileged at ")),
        "{warnings:?}"
    );

    let again = revalidate("mutable-pod.json", mutated);
    assert_eq!(again["accepted"], true, "{again:#}");
}

#[test]
fn mutate_mode_fixes_warnings_too_and_keeps_unsafe_fixes_for_when_allowed() {
    // The tutorial's fixed pod: `allowPrivilegeEscalation: false` is a safe
    // fix; `runAsNonRoot: true` is not, and stays a warning.
    let answer = validate("immutable-pod.json", &fixture("settings-mutate.json"));
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = &answer["mutated_object"];
    let security = &mutated["spec"]["containers"][0]["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], false, "{mutated:#}");
    assert_eq!(security.get("runAsNonRoot"), None, "{mutated:#}");
    let warnings = warnings(&answer);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].starts_with("kube-immutable: fixed privilege-escalation-not-disabled at /spec/containers/0/securityContext/allowPrivilegeEscalation: "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("kube-immutable: may-run-as-root: "),
        "{warnings:?}"
    );
    assert!(
        warnings[2].starts_with("kube-immutable: capabilities-not-restricted: "),
        "{warnings:?}"
    );
    let again = revalidate("immutable-pod.json", mutated);
    assert_eq!(again["accepted"], true, "{again:#}");
    assert_eq!(
        again["warnings"].as_array().map(Vec::len),
        Some(2),
        "{again:#}"
    );
}

#[test]
fn mutate_mode_on_a_deployment() {
    // The frontend's image is unknown: mounting an emptyDir at /tmp only is
    // an unsafe fix, so safe-only mutation still rejects.
    let answer = validate("deployment.json", &fixture("settings-mutate.json"));
    assert_rejected(&answer, 403);
    assert!(
        message(&answer).contains(
            "- writable-root-filesystem: Deployment/shop-frontend container \"frontend\""
        ),
        "{answer:#}"
    );

    let answer = validate(
        "deployment.json",
        r#"{"mode": "mutate", "unsafeFixes": true}"#,
    );
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = &answer["mutated_object"];
    let frontend = &mutated["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        frontend["securityContext"]["readOnlyRootFilesystem"], true,
        "{mutated:#}"
    );
    let again = revalidate("deployment.json", mutated);
    assert_accepted(&again);
    assert_eq!(again["warnings"], Value::Null, "{again:#}");

    // Clean objects, other kinds and deletions come back unchanged.
    for name in [
        "deployment-restricted.json",
        "service.json",
        "delete-pod.json",
    ] {
        let answer = validate(name, &fixture("settings-mutate.json"));
        assert_accepted(&answer);
    }
}

#[test]
fn mutate_mode_returns_the_whole_object() {
    // `status` and `managedFields` are never checked, but a mutated object
    // must still carry them: the host diffs it against the request's.
    let answer = validate(
        "update-deployment.json",
        r#"{"mode": "mutate", "unsafeFixes": true}"#,
    );
    assert_eq!(answer["accepted"], true, "{answer:#}");
    let mutated = &answer["mutated_object"];
    let request: Value =
        serde_json::from_str(&fixture("update-deployment.json")).expect("fixture is JSON");
    assert_eq!(mutated["status"], request["object"]["status"]);
    assert_eq!(
        mutated["metadata"]["managedFields"],
        request["object"]["metadata"]["managedFields"]
    );
    assert_eq!(mutated["spec"]["template"]["spec"].get("hostPID"), None);
    assert_accepted(&revalidate("update-deployment.json", mutated));
}

#[test]
fn one_instance_serves_many_requests() {
    // A host may reuse an instance: answers must not leak state, and must
    // stay the same once the allocator's 1 MiB bump region is used up
    // (about 28 KB a Deployment) and allocations go to the default
    // allocator (`policy-wasm/src/arena.rs`).
    let host = policy().instance();
    let requests = [
        payload("mutable-pod.json", "{}"),
        payload("immutable-pod.json", "{}"),
        payload("deployment.json", "{}"),
        worst_case_payload(40, 16, "{}"),
    ];
    let first: Vec<Value> = requests
        .iter()
        .map(|request| policy().call("validate", request))
        .collect();
    assert_eq!(first[0]["accepted"], false);
    assert_eq!(first[1]["accepted"], true);
    assert_eq!(first[2]["accepted"], false);
    assert_eq!(first[3]["accepted"], false);
    for round in 0..25 {
        for (request, expected) in requests.iter().zip(&first) {
            assert_eq!(&call(&host, "validate", request), expected, "round {round}");
        }
    }
}

/// Every `.yaml`, `.yml` and `.json` file under `dir`.
fn manifest_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            manifest_files(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(path);
        }
    }
}

#[test]
fn validate_mode_never_mutates_a_real_world_object() {
    // Every object of the real-world corpus, sent as a CREATE, in validate
    // mode even with unsafe fixes allowed: never a mutated object, the
    // promise `mutating: false` deployments rely on. Mutate mode on the same
    // objects must return one sometimes, or this test would prove nothing.
    let Some(corpus) = std::env::var_os("KUBE_IMMUTABLE_CORPUS") else {
        eprintln!("SKIPPED: set KUBE_IMMUTABLE_CORPUS to the corpus folder (../shared/corpus) to run validate mode on real-world objects");
        return;
    };
    let mut files = Vec::new();
    manifest_files(&std::path::Path::new(&corpus).join("realworld"), &mut files);
    files.sort();
    assert!(files.len() > 1000, "found {} files", files.len());
    let limits = kube_immutable_core::Limits::default();
    let (mut objects, mut rejected, mut mutated_in_mutate_mode) = (0, 0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let (documents, _) = kube_immutable_core::yaml::parse_stream(&text, &limits);
        for document in documents {
            let object = document.root.to_json();
            if !object.get("kind").is_some_and(Value::is_string) {
                continue;
            }
            objects += 1;
            let request = json!({"uid": "corpus", "operation": "CREATE", "object": object});
            let answer = policy().call(
                "validate",
                json!({"request": request, "settings": {"mode": "validate", "unsafeFixes": true}})
                    .to_string()
                    .as_bytes(),
            );
            assert_eq!(
                answer["mutated_object"],
                Value::Null,
                "{}: {answer:#}",
                file.display()
            );
            rejected += usize::from(answer["accepted"] == false);
            let mutate = policy().call(
                "validate",
                json!({"request": request, "settings": {"mode": "mutate", "unsafeFixes": true}})
                    .to_string()
                    .as_bytes(),
            );
            mutated_in_mutate_mode += usize::from(mutate["mutated_object"].is_object());
        }
    }
    assert!(objects > 1000, "{objects} objects");
    assert!(rejected > 100, "{rejected} of {objects} rejected");
    assert!(mutated_in_mutate_mode > 100, "{mutated_in_mutate_mode}");
    eprintln!(
        "{objects} real-world objects: {rejected} rejected, none mutated in validate mode ({mutated_in_mutate_mode} in mutate mode)"
    );
}
