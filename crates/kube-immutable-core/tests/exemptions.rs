//! Exemptions a tenant cannot forge (issue #20): in admission nothing inside
//! the object lifts a rule unless the settings say so; exemptions by who asks
//! and by runtime class; container-name exemptions tied to images or
//! namespaces.

use kube_immutable_core::{
    check_admission, check_text, yaml, ErrorKind, Limits, Report, Requester, Settings, Severity,
};

const ANNOTATED: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: netdebug
  namespace: network
  annotations:
    kube-immutable.io/ignore: "privileged,allow-privilege-escalation: tcpdump needs raw sockets"
spec:
  securityContext: {runAsNonRoot: true}
  containers:
    - name: tcpdump
      image: nicolaka/netshoot:v0.13
      securityContext:
        privileged: true
        allowPrivilegeEscalation: true
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
"#;

fn settings(json: &str) -> Settings {
    Settings::from_json_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn admit(text: &str, settings: &Settings, requester: &Requester<'_>) -> Report {
    let (documents, errors) = yaml::parse_stream(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    check_admission(&documents[0].root, settings, requester)
}

fn errors(report: &Report) -> Vec<&str> {
    let mut rules: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    rules.sort_unstable();
    rules
}

#[test]
fn in_admission_the_annotation_lifts_nothing_and_says_so() {
    let report = admit(ANNOTATED, &Settings::default(), &Requester::default());
    assert_eq!(
        errors(&report),
        ["allow-privilege-escalation", "privileged"]
    );
    assert_eq!(report.suppressed, 0);
    let notice = &report.errors[0];
    assert_eq!(notice.kind, ErrorKind::IgnoredAnnotation);
    assert_eq!(notice.severity, Severity::Warning);
    assert!(
        notice
            .message
            .en
            .starts_with("kube-immutable.io/ignore is not honoured by this policy"),
        "{}",
        notice.message.en
    );
    assert!(!report.has_input_errors());
}

#[test]
fn where_the_reader_owns_the_files_the_annotation_is_honoured_unless_refused() {
    let report = check_text(ANNOTATED, &Settings::default());
    assert!(errors(&report).is_empty(), "{:?}", report.findings);
    assert_eq!(report.suppressed, 2);
    // CI that the pull request it checks must not bypass.
    let strict = settings(r#"{"ignoreAnnotation": {"allowed": false}}"#);
    let report = check_text(ANNOTATED, &strict);
    assert_eq!(
        errors(&report),
        ["allow-privilege-escalation", "privileged"]
    );
    assert_eq!(report.errors[0].kind, ErrorKind::IgnoredAnnotation);
    // Positioned on the annotation's value.
    assert_eq!(report.errors[0].start.map(|p| p.line), Some(7));
}

#[test]
fn an_operator_can_allow_the_annotation_for_some_rules_in_some_namespaces() {
    let none = Requester::default();
    let allowed = settings(r#"{"ignoreAnnotation": {"allowed": true}}"#);
    assert!(errors(&admit(ANNOTATED, &allowed, &none)).is_empty());

    let one_rule = settings(r#"{"ignoreAnnotation": {"allowed": true, "rules": ["privileged"]}}"#);
    let report = admit(ANNOTATED, &one_rule, &none);
    assert_eq!(errors(&report), ["allow-privilege-escalation"]);
    assert!(report.errors[0]
        .message
        .en
        .contains("do not let it turn off `allow-privilege-escalation` here"));

    let here = settings(r#"{"ignoreAnnotation": {"allowed": true, "namespaces": ["network"]}}"#);
    assert!(errors(&admit(ANNOTATED, &here, &none)).is_empty());
    let elsewhere =
        settings(r#"{"ignoreAnnotation": {"allowed": true, "namespaces": ["monitoring"]}}"#);
    assert_eq!(errors(&admit(ANNOTATED, &elsewhere, &none)).len(), 2);

    // `all` turns off only what the settings let it.
    let all = ANNOTATED.replace("privileged,allow-privilege-escalation", "all");
    let report = admit(&all, &one_rule, &none);
    assert_eq!(errors(&report), ["allow-privilege-escalation"]);
}

#[test]
fn requests_are_exempt_by_who_asks_never_by_what_the_object_says() {
    let ex = settings(
        r#"{"exemptions": {"usernames": ["alice"], "groups": ["platform"], "serviceAccounts": ["ci/deployer"]}}"#,
    );
    let groups = vec!["platform".to_owned()];
    let no_groups: Vec<String> = Vec::new();
    for (username, groups, exempt) in [
        (Some("alice"), &no_groups, true),
        (Some("bob"), &groups, true),
        (Some("bob"), &no_groups, false),
        (Some("system:serviceaccount:ci:deployer"), &no_groups, true),
        (Some("system:serviceaccount:ci:other"), &no_groups, false),
        (
            Some("system:serviceaccount:prod:deployer"),
            &no_groups,
            false,
        ),
        (None, &no_groups, false),
    ] {
        let report = admit(ANNOTATED, &ex, &Requester { username, groups });
        assert_eq!(
            report.findings.is_empty(),
            exempt,
            "{username:?} {groups:?}"
        );
        assert_eq!(report.objects, 1);
    }
    // Files have no requester: the same settings exempt nothing there.
    let strict = settings(
        r#"{"exemptions": {"usernames": ["alice"]}, "ignoreAnnotation": {"allowed": false}}"#,
    );
    assert!(!check_text(ANNOTATED, &strict).findings.is_empty());
}

#[test]
fn pods_of_a_trusted_runtime_class_are_exempt() {
    let ex = settings(
        r#"{"exemptions": {"runtimeClasses": ["kata"]}, "ignoreAnnotation": {"allowed": false}}"#,
    );
    let kata = ANNOTATED.replace(
        "spec:\n  securityContext",
        "spec:\n  runtimeClassName: kata\n  securityContext",
    );
    assert!(check_text(&kata, &ex).findings.is_empty());
    let runc = kata.replace("kata", "runc");
    assert!(!check_text(&runc, &ex).findings.is_empty());
}

#[test]
fn container_name_exemptions_tied_to_images_or_namespaces() {
    let pod = |name: &str, image: &str, ns: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: {ns}}}\nspec:\n  containers:\n    - name: {name}\n      image: {image}\n      securityContext: {{privileged: true}}\n")
    };
    let tied = settings(
        r#"{"exemptions": {"containers": [{"name": "istio-proxy", "images": ["docker.io/istio/proxyv2:*"]}]}}"#,
    );
    let proxy = pod("istio-proxy", "docker.io/istio/proxyv2:1.22.0", "shop");
    assert!(check_text(&proxy, &tied)
        .findings
        .iter()
        .all(|f| f.container.is_none()));
    // Named like the exempted container, with another image: checked.
    let impostor = pod("istio-proxy", "evil.example/miner:1", "shop");
    assert!(check_text(&impostor, &tied)
        .findings
        .iter()
        .any(|f| f.rule == "privileged"));

    let by_ns = settings(
        r#"{"exemptions": {"containers": [{"name": "istio-proxy", "namespaces": ["istio-system"]}]}}"#,
    );
    assert!(
        check_text(&pod("istio-proxy", "x:1", "istio-system"), &by_ns)
            .findings
            .iter()
            .all(|f| f.rule != "privileged")
    );
    assert!(check_text(&pod("istio-proxy", "x:1", "shop"), &by_ns)
        .findings
        .iter()
        .any(|f| f.rule == "privileged"));

    // A name alone: accepted where the reader owns the files, refused for admission.
    let loose = settings(r#"{"exemptions": {"containers": ["istio-proxy"]}}"#);
    assert!(check_text(&impostor, &loose)
        .findings
        .iter()
        .all(|f| f.rule != "privileged"));
    let err = loose.validate_for_admission().unwrap_err();
    assert!(
        err.0
            .contains("exempts any container its author names `istio-proxy`"),
        "{err}"
    );
    assert!(tied.validate_for_admission().is_ok());
    assert!(by_ns.validate_for_admission().is_ok());
    let empty = settings(r#"{"exemptions": {"containers": [{"name": "istio-proxy"}]}}"#);
    assert!(empty.validate_for_admission().is_err());
}

#[test]
fn exemption_settings_are_validated() {
    for (json, message) in [
        (
            r#"{"exemptions": {"serviceAccounts": ["deployer"]}}"#,
            "is not `namespace/name`",
        ),
        (
            r#"{"exemptions": {"serviceAccounts": ["ci/"]}}"#,
            "is not `namespace/name`",
        ),
        (
            r#"{"exemptions": {"usernames": [""]}}"#,
            "`exemptions.usernames` has an empty entry",
        ),
        (
            r#"{"ignoreAnnotation": {"rules": ["privilegd"]}}"#,
            "unknown rule `privilegd` in `ignoreAnnotation.rules`",
        ),
        (
            r#"{"ignoreAnnotation": {"allowed": "yes"}}"#,
            "invalid type",
        ),
        (
            r#"{"exemptions": {"containers": [{"name": "a", "image": ["x"]}]}}"#,
            "did not match any variant",
        ),
    ] {
        let err = Settings::from_json_str(json).unwrap_err();
        assert!(err.0.contains(message), "{json}: {err}");
    }
}
