//! What the fuzz targets (`fuzz/`, `cargo xtask fuzz`) found, one test each,
//! minimised: the input and the property it broke.

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{check_text, Limits, Settings};

/// `fix` target: in `{securityContext: {pre}}` the key `pre` has no value
/// and no colon; the parser marks its implicit null with the `}` after it,
/// so the new entry landed after the `}`, in the container, and fixing
/// again added it again (not idempotent, the finding never went away).
/// Without that mark, the fixer looked for the key's colon anywhere further
/// on (another line's key).
#[test]
fn an_entry_is_added_inside_a_flow_mapping_whose_last_key_has_no_value() {
    let text = "kind: Pod\nspec:\n  containers:\n  - {securityContext: {pre}}\n";
    let settings = Settings::default();
    let fixed = fix_text(text, &settings, FixOptions::default());
    assert!(
        fixed
            .text
            .contains("- {securityContext: {pre, allowPrivilegeEscalation: false}"),
        "{}",
        fixed.text
    );
    let again = fix_text(&fixed.text, &settings, FixOptions::default());
    assert_eq!(again.text, fixed.text, "fixing is idempotent");
    assert!(check_text(&fixed.text, &settings)
        .findings
        .iter()
        .all(|f| f.rule != "privilege-escalation-not-disabled"));
}

/// The same with every way to write a last key without a value: the entry
/// lands inside the mapping, after the colon when there is one.
#[test]
fn a_last_key_without_value_in_any_spelling_gets_its_sibling_inside() {
    for context in [
        "{pre}",
        "{pre:}",
        "{pre: }",
        "{pre :}",
        "{\"pre\"}",
        "{\"pre\":}",
        "{'pre' : }",
        "{a: 1, pre}",
        "{pre, a: 1}",
    ] {
        let text = format!(
            "kind: Pod\nspec:\n  containers:\n  - securityContext: {context}\n    image: x\n"
        );
        let settings = Settings::default();
        let fixed = fix_text(&text, &settings, FixOptions::default());
        let (docs, errors) = parse_stream(&fixed.text, &Limits::default());
        assert!(errors.is_empty(), "{context}: {errors:?}\n{}", fixed.text);
        let set = docs[0]
            .root
            .pointer("/spec/containers/0/securityContext/allowPrivilegeEscalation")
            .and_then(|n| n.as_bool());
        assert_eq!(set, Some(false), "{context}:\n{}", fixed.text);
        let again = fix_text(&fixed.text, &settings, FixOptions::default());
        assert_eq!(again.text, fixed.text, "{context}: fixing is idempotent");
    }
}

/// `fix` target (a seed: a fixture with `securityContext: {}`): two fixes
/// add an entry to the same empty flow mapping; together they break the
/// text (no comma between them), so the second was dropped for good, and
/// only a second `fix` applied it (not idempotent). It now waits for the
/// next round, which renders it on the text the first made.
#[test]
fn two_fixes_adding_to_one_empty_flow_mapping_both_apply_in_one_fix() {
    let text = "kind: Pod\nspec:\n  containers:\n    - name: nginx\n      image: nginx\n      securityContext: {}\n";
    let settings = Settings::default();
    let fixed = fix_text(text, &settings, FixOptions::default());
    let rules: Vec<&str> = fixed.applied.iter().map(|a| a.rule).collect();
    assert!(
        rules.contains(&"privilege-escalation-not-disabled")
            && rules.contains(&"writable-root-filesystem"),
        "{rules:?}\n{}",
        fixed.text
    );
    assert!(
        fixed.text.contains(
            "securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}"
        ) || fixed.text.contains(
            "securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}"
        ),
        "{}",
        fixed.text
    );
    let again = fix_text(&fixed.text, &settings, FixOptions::default());
    assert_eq!(again.text, fixed.text, "fixing is idempotent");
}

/// `fix` target: `hostNetwork: true` written twice. Kubernetes takes the
/// last value; removing it brought the first back, so the fix claimed to
/// remove `hostNetwork` while the field stayed (and a second `fix` removed
/// the other). A key written twice is now not removed: the finding and the
/// duplicate-key error stay for the user to settle.
#[test]
fn a_key_written_twice_is_not_removed_by_half() {
    let text = "kind: Pod\nspec:\n  hostNetwork: true\n  hostNetwork: true\n  containers: []\n";
    let settings = Settings::default();
    let options = FixOptions { unsafe_fixes: true };
    let fixed = fix_text(text, &settings, options);
    assert!(
        fixed.applied.iter().all(|a| a.rule != "host-namespaces"),
        "{:?}",
        fixed.applied
    );
    assert_eq!(
        fixed.text.matches("hostNetwork: true").count(),
        2,
        "{}",
        fixed.text
    );
    let again = fix_text(&fixed.text, &settings, options);
    assert_eq!(again.text, fixed.text, "fixing is idempotent");
    let report = check_text(&fixed.text, &settings);
    assert!(report.findings.iter().any(|f| f.rule == "host-namespaces"));
}
