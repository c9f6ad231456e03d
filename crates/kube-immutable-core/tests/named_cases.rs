//! Issue #11's named cases, one test each: a clear, positioned error or a
//! correct result, never a panic. Alias bombs, 10,000-deep nesting (YAML and
//! JSON) and 100 MB inputs are in `hostile.rs`; tabs as indentation and
//! duplicate keys in `yaml.rs`; invalid UTF-8 is refused by the faces that
//! read bytes (the CLI's `tests/cli.rs`), since the core takes `&str`.

mod common;

use kube_immutable_core::{check_text, ErrorKind, Report, Settings};

/// (kind, line, column, pointer) of each error.
fn errors(report: &Report) -> Vec<(ErrorKind, usize, usize, Option<&str>)> {
    report
        .errors
        .iter()
        .map(|e| {
            let s = e.start.expect("every error has a position");
            (e.kind, s.line, s.column, e.pointer.as_deref())
        })
        .collect()
}

fn check(text: &str) -> Report {
    check_text(text, &Settings::default())
}

fn pod(spec: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{spec}")
}

#[test]
fn a_nul_byte_is_a_syntax_error_at_the_byte_and_other_documents_are_checked() {
    for (text, line, column) in [
        ("kind: Pod\nspec:\n  hostPID: true\n  x: a\0b\n", 4, 7),
        (
            "kind: Pod\nmetadata: {name: \"a\0b\"}\nspec: {hostPID: true}\n",
            2,
            20,
        ),
        ("\0\n", 1, 1),
    ] {
        let text = format!("{text}---\nkind: Pod\nspec: {{hostIPC: true}}\n");
        let report = check(&text);
        assert_eq!(
            errors(&report),
            vec![(ErrorKind::Syntax, line, column, None)],
            "{text:?}"
        );
        assert!(report.errors[0].message.en.contains("NUL"));
        // The broken document is not read; the next one is.
        assert_eq!(
            common::rule_lines(&report),
            vec![("host-namespaces", text.lines().count(), 8)],
            "{text:?}"
        );
    }
}

#[test]
fn a_lone_bom_is_an_empty_stream() {
    for text in ["\u{feff}", "\u{feff}\n", "\u{feff}---\n"] {
        let report = check(text);
        assert!(report.errors.is_empty(), "{text:?}: {:#?}", report.errors);
        assert_eq!((report.objects, report.findings.len()), (0, 0));
    }
}

#[test]
fn unterminated_quotes_and_flow_collections_are_positioned_and_the_next_document_is_checked() {
    let next = "---\nkind: Pod\nspec: {hostIPC: true}\n";
    for (broken, line, column) in [
        // The scanner reports a double-quoted scalar at its opening quote.
        ("kind: Pod\nspec: {hostPID: \"true}\n", 2, 17),
        (
            "kind: Pod\nmetadata:\n  name: 'abc\nspec: {hostIPC: true}\n",
            3,
            9,
        ),
        ("kind: Pod\nspec:\n  containers: [{name: a}\n", 4, 1),
        ("kind: Pod\nspec: {hostPID: true\n", 3, 1),
    ] {
        let text = format!("{broken}{next}");
        let report = check(&text);
        assert_eq!(
            errors(&report),
            vec![(ErrorKind::Syntax, line, column, None)],
            "{broken:?}"
        );
        let last = text.lines().count();
        assert_eq!(
            common::rule_lines(&report),
            vec![("host-namespaces", last, 8)],
            "{broken:?}"
        );
    }
}

#[test]
fn privileged_as_a_string_is_a_type_error_with_the_quotes_hint() {
    let report = check(&pod(
        "  containers: [{name: a, securityContext: {privileged: \"true\"}}]\n",
    ));
    assert_eq!(
        errors(&report),
        vec![(
            ErrorKind::InvalidType,
            5,
            56,
            Some("/spec/containers/0/securityContext/privileged")
        )]
    );
    assert!(report.errors[0]
        .message
        .en
        .contains("(write true without quotes)"));
    assert!(common::of_rule(&report, "privileged").is_empty());
}

#[test]
fn run_as_user_root_is_a_type_error_without_a_wrong_hint() {
    let report = check(&pod(
        "  securityContext: {runAsUser: root}\n  containers: [{name: a}]\n",
    ));
    assert_eq!(
        errors(&report),
        vec![(
            ErrorKind::InvalidType,
            5,
            32,
            Some("/spec/securityContext/runAsUser")
        )]
    );
    let message = &report.errors[0].message.en;
    assert!(
        message.contains("must be an integer, found a string"),
        "{message}"
    );
    assert!(!message.contains("without quotes"), "{message}");
}

#[test]
fn run_as_user_minus_one_is_out_of_the_api_servers_range() {
    for (value, column) in [("-1", 32), ("2147483648", 32)] {
        let report = check(&pod(&format!(
            "  securityContext: {{runAsUser: {value}}}\n  containers: [{{name: a}}]\n"
        )));
        assert_eq!(
            errors(&report),
            vec![(
                ErrorKind::InvalidType,
                5,
                column,
                Some("/spec/securityContext/runAsUser")
            )],
            "{value}"
        );
        assert!(report.errors[0]
            .message
            .en
            .contains("between 0 and 2147483647"));
    }
    // The edges are fine.
    for value in ["0", "2147483647"] {
        let report = check(&pod(&format!(
            "  securityContext: {{runAsUser: {value}}}\n  containers: [{{name: a}}]\n"
        )));
        assert!(report.errors.is_empty(), "{value}: {:#?}", report.errors);
    }
}

#[test]
fn run_as_user_1e400_is_a_type_error_not_infinity() {
    let report = check(&pod(
        "  securityContext: {runAsUser: 1e400}\n  containers: [{name: a, securityContext: {runAsUser: 1e400}}]\n",
    ));
    assert_eq!(
        errors(&report),
        vec![
            (
                ErrorKind::InvalidType,
                5,
                32,
                Some("/spec/securityContext/runAsUser")
            ),
            (
                ErrorKind::InvalidType,
                6,
                55,
                Some("/spec/containers/0/securityContext/runAsUser")
            ),
        ]
    );
    assert!(report.errors[0]
        .message
        .en
        .contains("must be an integer, found a number"));
}

#[test]
fn a_container_without_a_name_is_checked_and_found_by_its_index() {
    let report = check(&pod(
        "  containers:\n    - image: nginx\n      securityContext: {privileged: true}\n",
    ));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let privileged = common::of_rule(&report, "privileged");
    assert_eq!(privileged.len(), 1);
    assert_eq!(
        privileged[0].pointer,
        "/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(privileged[0].start.unwrap().line, 7);
}

#[test]
fn containers_null_is_a_pod_with_nothing_to_check() {
    let report = check(&pod("  containers: null\n  hostPID: true\n"));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.objects, 1);
    assert_eq!(
        common::rule_lines(&report),
        vec![("host-namespaces", 6, 3)],
        "pod-level rules still run"
    );
}

#[test]
fn spec_as_a_list_is_a_type_error_at_the_spec() {
    let report = check("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: []\n");
    assert_eq!(
        errors(&report),
        vec![(ErrorKind::InvalidType, 4, 7, Some("/spec"))]
    );
    assert!(report.findings.is_empty());
    let report = check(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: []}}\n",
    );
    assert_eq!(
        errors(&report),
        vec![(ErrorKind::InvalidType, 4, 25, Some("/spec/template/spec"))]
    );
}
