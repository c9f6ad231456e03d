//! End-to-end tests of the `kube-immutable` binary: arguments in, output and
//! exit code out. Run from the workspace root so paths in outputs are the
//! relative ones a user types.

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below
// are test code too, where a panic is a failing test.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

mod common;
use common::{root, run_env, run_in, Out};

const MUTABLE: &str = "examples/mutable-pod.yaml";
const IMMUTABLE: &str = "examples/immutable-pod.yaml";
const RESTRICTED: &str = "presets/restricted.yaml";

fn run(args: &[&str]) -> Out {
    run_in(&root(), args, None)
}

/// `(rule, severity, line)` of every finding, in output order.
fn triples(json: &Value) -> Vec<(String, String, u64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn t(rule: &str, severity: &str, line: u64) -> (String, String, u64) {
    (rule.to_owned(), severity.to_owned(), line)
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: app
      image: nginxinc/nginx-unprivileged:1.27
      securityContext:
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
";

// ---------------------------------------------------------------- check, text

#[test]
fn mutable_pod_text_frames_snapshot() {
    let out = run(&["check", MUTABLE]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains('\x1b'), "no colour when piped");
    insta::assert_snapshot!("mutable_pod_text", out.stdout);
}

#[test]
fn immutable_pod_text_has_three_warnings_and_exits_0() {
    let out = run(&["check", IMMUTABLE]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out
        .stdout
        .contains("warning[privilege-escalation-not-disabled]: container \"nginx\""));
    assert!(out.stdout.contains("--> examples/immutable-pod.yaml:13:7"));
    assert!(!out.stdout.contains("error["));
    assert!(out
        .stdout
        .contains("Found 3 warnings in 1 file (1 object checked).\n1 fixable with `kube-immutable fix` (2 more with `--unsafe-fixes`).\n"));
}

#[test]
fn clean_file_says_all_immutable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), POD).unwrap();
    let out = run_in(dir.path(), &["check", "good.yaml"], None);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "All checked objects are immutable (1 object in 1 file).\n"
    );
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    assert!(!run(&["check", MUTABLE]).stdout.contains('\x1b'));
    let forced = run(&["--color", "always", "check", MUTABLE]);
    assert!(forced.stdout.contains("\x1b["), "{}", forced.stdout);
    let never = run(&["--color", "never", "check", MUTABLE]);
    assert!(!never.stdout.contains('\x1b'));
    let args = ["check", MUTABLE];
    let env_forced = run_env(&root(), &args, None, &[("CLICOLOR_FORCE", "1")]);
    assert!(env_forced.stdout.contains("\x1b["));
    let no_color = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")];
    assert!(!run_env(&root(), &args, None, &no_color)
        .stdout
        .contains('\x1b'));
}

#[test]
fn french_messages_and_summary() {
    let out = run(&["check", "--lang", "fr", MUTABLE]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("erreur[privileged] : le conteneur « nginx » est privilégié"));
    assert!(out
        .stdout
        .contains("4 erreurs et 2 avertissements dans 1 fichier (1 objet vérifié).\n"));
    // French typography: a space before the colon, French names, no English.
    assert!(
        out.stdout
            .contains("= note : correction sûre disponible : mettre `privileged: false`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("= aide : Mettez `privileged: false`"));
    let list = run(&[
        "check",
        "--lang",
        "fr",
        "crates/kube-immutable-core/tests/fixtures/privileged/invalid_list.yaml",
    ]);
    assert!(list.stdout.contains("(à `/items/1`)"), "{}", list.stdout);
    assert!(!list.stdout.contains("(at "), "{}", list.stdout);
    let missing = run(&["check", "--lang", "fr", "no/such.yaml"]);
    assert!(
        missing
            .stdout
            .contains("lecture impossible : fichier ou dossier introuvable"),
        "{}",
        missing.stdout
    );
    let json = run(&["check", "--lang", "fr", "--format", "json", MUTABLE]).json();
    assert!(json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("le conteneur « nginx »"));
}

// ---------------------------------------------------------------- check, JSON

#[test]
fn mutable_pod_json_has_four_errors_and_two_warnings_on_their_lines() {
    let out = run(&["check", "--format", "json", MUTABLE]);
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(
        triples(&json),
        vec![
            t("may-run-as-root", "warning", 12),
            t("capabilities-not-restricted", "warning", 12),
            t("privileged", "error", 13),
            t("allow-privilege-escalation", "error", 14),
            t("run-as-root", "error", 15),
            t("writable-root-filesystem", "error", 16),
        ]
    );
    assert_eq!(json["errors"], serde_json::json!([]));
    let s = &json["summary"];
    assert_eq!(
        (s["errors"].as_u64(), s["warnings"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(
        (s["files"].as_u64(), s["objects"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn json_field_names_and_values() {
    let json = run(&["check", "--format", "json", MUTABLE]).json();
    let privileged = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "privileged")
        .unwrap();
    let expected = serde_json::json!({
        "file": "examples/mutable-pod.yaml",
        "document": 0,
        "kind": "Pod",
        "name": "nginx-mutable",
        "namespace": null,
        "container": "nginx",
        "rule": "privileged",
        "severity": "error",
        "pointer": "/spec/containers/0/securityContext/privileged",
        "line": 13,
        "column": 9,
        "end_line": 13,
        "end_column": 25,
        "message": "container \"nginx\" is privileged: it can change the node and itself",
        "help": "Set `privileged: false` (or remove the field).",
        "fixable": true,
        "url": "https://github.com/kube-immutable/kube-immutable/blob/main/docs/rules/privileged.md",
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&privileged[key], value, "field `{key}`");
    }
    assert_eq!(privileged["fix"]["applicability"], "safe");
    assert_eq!(privileged["fix"]["operations"][0]["op"], "add");
}

#[test]
fn pod_level_finding_has_null_container() {
    let dir = tempfile::tempdir().unwrap();
    let pod = POD.replace("runAsNonRoot: true", "runAsUser: 0\n    runAsNonRoot: true");
    std::fs::write(dir.path().join("root.yaml"), pod).unwrap();
    let json = run_in(
        dir.path(),
        &["check", "--format", "json", "root.yaml"],
        None,
    )
    .json();
    assert_eq!(triples(&json), vec![t("run-as-root", "error", 7)]);
    assert_eq!(json["findings"][0]["container"], Value::Null);
    assert_eq!(
        json["findings"][0]["pointer"],
        "/spec/securityContext/runAsUser"
    );
}

#[test]
fn immutable_pod_json_has_exactly_three_warnings() {
    let out = run(&["check", "--format", "json", IMMUTABLE]);
    assert_eq!(out.code, 0);
    assert_eq!(
        triples(&out.json()),
        vec![
            t("privilege-escalation-not-disabled", "warning", 13),
            t("may-run-as-root", "warning", 13),
            t("capabilities-not-restricted", "warning", 13),
        ]
    );
}

#[test]
fn stdin_is_read_with_dash_and_named_dash() {
    let text = std::fs::read_to_string(root().join(MUTABLE)).unwrap();
    let out = run_in(&root(), &["check", "--format", "json", "-"], Some(&text));
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(json["findings"].as_array().unwrap().len(), 6);
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["file"] == "-"));
    let text_out = run_in(&root(), &["check", "-"], Some(&text));
    assert!(
        text_out.stdout.contains("--> -:13:9"),
        "{}",
        text_out.stdout
    );
}

// ---------------------------------------------------------------- exit codes and inputs

#[test]
fn folder_with_broken_and_good_file_reports_both_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let k8s = dir.path().join("k8s");
    std::fs::create_dir_all(k8s.join("nested")).unwrap();
    std::fs::create_dir_all(k8s.join(".git")).unwrap();
    std::fs::write(k8s.join("a-broken.yaml"), "kind: Pod\nspec: [\n").unwrap();
    std::fs::write(
        k8s.join("nested/mutable.yml"),
        POD.replace(
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        ),
    )
    .unwrap();
    std::fs::write(k8s.join("z-good.json"), r#"{"kind": "ConfigMap"}"#).unwrap();
    std::fs::write(k8s.join(".git/hidden.yaml"), "kind: Pod\nspec: [\n").unwrap();
    std::fs::write(k8s.join("notes.txt"), "kind: Pod\nspec: [\n").unwrap();

    let out = run_in(dir.path(), &["check", "--format", "json", "k8s"], None);
    assert_eq!(out.code, 2, "input errors win over findings");
    let json = out.json();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let sep = std::path::MAIN_SEPARATOR;
    assert_eq!(errors[0]["file"], format!("k8s{sep}a-broken.yaml"));
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["kind"], "syntax");
    assert!(errors[0]["message"].as_str().unwrap().contains("YAML"));
    assert_eq!(
        triples(&json),
        vec![t("writable-root-filesystem", "error", 12)]
    );
    assert_eq!(
        json["findings"][0]["file"],
        format!("k8s{sep}nested{sep}mutable.yml")
    );
    assert_eq!(
        json["summary"]["files"], 3,
        "hidden and .txt files are skipped"
    );

    let text = run_in(dir.path(), &["check", "k8s"], None);
    assert_eq!(text.code, 2);
    assert!(
        text.stdout.contains("error[syntax]: invalid YAML"),
        "{}",
        text.stdout
    );
    assert!(text
        .stdout
        .contains(&format!("--> k8s{sep}a-broken.yaml:3:1")));
    assert!(text.stdout.contains("error[writable-root-filesystem]"));
    assert!(text
        .stdout
        .contains("1 input error: some objects may not have been checked."));
}

#[test]
fn missing_file_exits_2_and_other_files_are_still_checked() {
    let out = run(&[
        "check",
        "--format",
        "json",
        "no/such.yaml",
        "./examples/mutable-pod.yaml",
    ]);
    assert_eq!(out.code, 2);
    let json = out.json();
    assert_eq!(json["errors"][0]["file"], "no/such.yaml");
    assert_eq!(json["errors"][0]["kind"], "io");
    assert_eq!(json["errors"][0]["line"], Value::Null);
    assert_eq!(json["findings"].as_array().unwrap().len(), 6);
    assert_eq!(
        json["findings"][0]["file"], "./examples/mutable-pod.yaml",
        "path as given"
    );
}

#[test]
fn input_errors_in_a_file_exit_2_even_with_findings() {
    let dir = tempfile::tempdir().unwrap();
    let quoted = POD.replace(
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: \"true\"",
    );
    std::fs::write(dir.path().join("quoted.yaml"), quoted).unwrap();
    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "quoted.yaml"],
        None,
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["errors"][0]["kind"], "invalid-type");
    assert_eq!(out.json()["errors"][0]["severity"], "error");
    assert_eq!(out.json()["errors"][0]["line"], 12);
}

/// kubectl takes a manifest with a duplicate key (the last value wins), so
/// it is a warning-level input problem: the exit code is the findings'.
/// (The cluster tests hold the message to the real kubectl and API server.)
#[test]
fn duplicate_keys_are_warnings_and_keep_the_findings_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let dup = POD.replace(
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false\n        readOnlyRootFilesystem: true",
    );
    std::fs::write(dir.path().join("dup.yaml"), dup).unwrap();
    let out = run_in(dir.path(), &["check", "--format", "json", "dup.yaml"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["errors"][0]["kind"], "duplicate-key");
    assert_eq!(json["errors"][0]["severity"], "warning");
    assert_eq!(json["errors"][0]["line"], 13);
    assert_eq!(json["summary"]["input_errors"], 0);
    assert_eq!(json["summary"]["input_warnings"], 1);
    // The last value is the one checked: no writable-root-filesystem finding.
    let rules: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"writable-root-filesystem"), "{rules:?}");
    // Text output: a warning frame, and the summary counts it apart.
    let text = run_in(dir.path(), &["check", "--color", "never", "dup.yaml"], None);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("warning[duplicate-key]: duplicate key `readOnlyRootFilesystem`: kubectl keeps this last value"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("1 input warning (duplicate keys: Kubernetes keeps the last value)."),
        "{}",
        text.stdout
    );
    let gh = run_in(
        dir.path(),
        &["check", "--format", "github", "dup.yaml"],
        None,
    );
    assert!(
        gh.stdout.starts_with("::warning file=dup.yaml,line=13"),
        "{}",
        gh.stdout
    );
}

#[test]
fn warnings_alone_exit_0_and_errors_exit_1() {
    assert_eq!(run(&["check", IMMUTABLE]).code, 0);
    assert_eq!(run(&["check", MUTABLE, IMMUTABLE]).code, 1);
}

#[test]
fn no_path_is_a_usage_error() {
    let out = run(&["check"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("Usage: kube-immutable check"),
        "{}",
        out.stderr
    );
}

#[test]
fn empty_folder_checks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["check", "."], None);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "No YAML or JSON files to check.\n");
}

// ---------------------------------------------------------------- SARIF

#[test]
fn sarif_structure_for_code_scanning() {
    let out = run(&["check", "--format", "sarif", MUTABLE]);
    assert_eq!(out.code, 1);
    let sarif = out.json();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "kube-immutable");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 14);
    for rule in rules {
        for key in ["id", "name", "helpUri"] {
            assert!(rule[key].is_string(), "rule.{key}: {rule}");
        }
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["fullDescription"]["text"].is_string());
        assert!(rule["help"]["text"].is_string());
        let md = rule["help"]["markdown"].as_str().unwrap();
        assert!(md.starts_with(&format!("# `{}`", rule["id"].as_str().unwrap())));
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(level == "error" || level == "warning");
        let enabled = rule["defaultConfiguration"]["enabled"].as_bool().unwrap();
        assert_eq!(enabled, rule["id"] != "image-not-pinned", "{rule}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for r in results {
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "examples/mutable-pod.yaml");
        let region = &loc["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key}");
        }
    }
    let privileged = results
        .iter()
        .find(|r| r["ruleId"] == "privileged")
        .unwrap();
    assert_eq!(privileged["level"], "error");
    assert_eq!(
        privileged["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 13, "startColumn": 9, "endLine": 13, "endColumn": 25})
    );
    let may = results
        .iter()
        .find(|r| r["ruleId"] == "may-run-as-root")
        .unwrap();
    assert_eq!(may["level"], "warning");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"],
        serde_json::json!([])
    );
}

#[test]
fn sarif_reports_input_errors_as_notifications() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/broken.yaml"), "a: b\n  c: [\n").unwrap();
    let out = run_in(dir.path(), &["check", "--format", "sarif", "./sub"], None);
    assert_eq!(out.code, 2);
    let run = &out.json()["runs"][0];
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let n = &invocation["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert_eq!(n["descriptor"]["id"], "syntax");
    let loc = &n["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "sub/broken.yaml");
    assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
}

// ---------------------------------------------------------------- settings

#[test]
fn restricted_preset_raises_the_warnings_to_errors_and_pins_images() {
    let out = run(&[
        "check", "--config", RESTRICTED, "--format", "json", IMMUTABLE,
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(
        triples(&out.json()),
        vec![
            // `image-not-pinned`, off by default, is an error here.
            t("image-not-pinned", "error", 10),
            t("privilege-escalation-not-disabled", "error", 13),
            t("may-run-as-root", "error", 13),
            t("capabilities-not-restricted", "error", 13),
        ]
    );
    let text = run(&["check", "--config", RESTRICTED, MUTABLE]);
    assert_eq!(text.code, 1);
    assert!(text
        .stdout
        .contains("Found 7 errors in 1 file (1 object checked).\n"));
}

#[test]
fn restricted_preset_names_every_warning_rule() {
    let rules = run(&["rules", "--format", "json"]).json();
    let preset = std::fs::read_to_string(root().join(RESTRICTED)).unwrap();
    for rule in rules.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        // The annotation's upkeep, not the container: a warning everywhere.
        let level = if id == "unused-ignore" {
            "warning"
        } else {
            "error"
        };
        assert!(
            preset.contains(&format!("\n  {id}: {level}\n")),
            "the restricted preset must set `{id}: {level}`"
        );
    }
}

#[test]
fn json_config_turns_a_rule_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("settings.json");
    std::fs::write(
        &config,
        r#"{"rules": {"privileged": "off", "may-run-as-root": "error"}}"#,
    )
    .unwrap();
    let out = run(&[
        "check",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        MUTABLE,
    ]);
    let found = triples(&out.json());
    assert!(!found.iter().any(|(rule, _, _)| rule == "privileged"));
    assert!(found.contains(&t("may-run-as-root", "error", 12)));
}

#[test]
fn config_errors_name_the_key_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "rulez:\n  privileged: off\n",
            "`rulez`",
            "unknown field `rulez`",
            1,
        ),
        (
            "rules:\n  privileged: warning\n  run-as-root: loud\n",
            "`rules.run-as-root`",
            "unknown level `loud`",
            3,
        ),
        (
            "exemptions:\n  namespaces: kube-system\n",
            "`exemptions.namespaces`",
            "expected a sequence",
            2,
        ),
        (
            "rules:\n  privilegd: error\n",
            "`rules.privilegd`",
            "unknown rule",
            2,
        ),
    ];
    for (text, key, reason, line) in cases {
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, text).unwrap();
        let out = run_in(dir.path(), &["check", "--config", "config.yaml", "."], None);
        assert_eq!(out.code, 2, "{text}");
        assert_eq!(out.stdout, "", "nothing is checked with invalid settings");
        assert!(
            out.stderr.contains(&format!("invalid settings at {key}")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(reason), "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("--> config.yaml:{line}:")),
            "{}",
            out.stderr
        );
    }
    let missing = run(&["check", "--config", "no/such/config.yaml", MUTABLE]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read"), "{}", missing.stderr);
}

// ---------------------------------------------------------------- rules and explain

#[test]
fn rules_lists_every_rule_with_level_and_fix() {
    let out = run(&["rules"]);
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("RULE"));
    assert_eq!(lines.len(), 15);
    let privileged: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&privileged[..4], ["privileged", "error", "always", "A"]);
    assert!(out
        .stdout
        .contains("may-run-as-root                    warning"));
    assert!(out
        .stdout
        .contains("image-not-pinned                   off      no"));
    let json = run(&["rules", "--format", "json"]).json();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "privileged",
            "host-namespaces",
            "allow-privilege-escalation",
            "privilege-escalation-not-disabled",
            "run-as-root",
            "may-run-as-root",
            "writable-root-filesystem",
            "host-path-volumes",
            "host-ports",
            "added-capabilities",
            "capabilities-not-restricted",
            "mutable-image-tag",
            "image-not-pinned",
            "unused-ignore",
        ]
    );
    assert_eq!(json[12]["level"], "off");
    assert_eq!(json[13]["level"], "warning");
}

#[test]
fn explain_prints_the_rule_docs() {
    let out = run(&["explain", "writable-root-filesystem"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("# `writable-root-filesystem`\n"));
    assert!(out.stdout.contains("## Fix safety"));
    assert!(out
        .stdout
        .contains("docs/rules/writable-root-filesystem.md"));
}

#[test]
fn explain_links_to_the_playground_as_the_rule_page_does() {
    let json = run(&["rules", "--format", "json"]).json();
    for rule in json.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        let out = run(&["explain", id]);
        let link = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Try it in the playground: "))
            .unwrap_or_else(|| panic!("explain {id} prints no playground link"));
        assert!(link.contains("/playground/#v1="), "{link}");
        // The same link as the committed page (`cargo xtask docs --check`
        // keeps the page current).
        let page = std::fs::read_to_string(root().join(format!("docs/rules/{id}.md"))).unwrap();
        assert!(
            page.contains(&format!("[Open in the playground]({link})")),
            "docs/rules/{id}.md does not link to {link}"
        );
    }
}

#[test]
fn explain_prints_every_rule_in_french() {
    let ids = run(&["rules", "--format", "json"]).json();
    for rule in ids.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        let out = run(&["explain", "--lang", "fr", id]);
        assert_eq!(out.code, 0);
        assert!(out.stdout.starts_with(&format!("# `{id}`\n")), "{id}");
        for section in [
            "## Ce que la règle vérifie",
            "## Pourquoi c'est important",
            "## Exemple",
            "## Sûreté de la correction",
        ] {
            assert!(out.stdout.contains(section), "{id}: {section}");
        }
        assert!(!out.stdout.contains("## What it checks"), "{id}");
        // The French page's playground link, opening the playground in French.
        let link = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Essayez-la dans le bac à sable : "))
            .unwrap_or_else(|| panic!("explain --lang fr {id} prints no playground link"));
        let page = std::fs::read_to_string(root().join(format!("docs/rules/fr/{id}.md"))).unwrap();
        assert!(
            link.contains("/playground/?lang=fr#v1=") && page.contains(&format!("({link})")),
            "docs/rules/fr/{id}.md does not link to {link}"
        );
        assert!(
            out.stdout.contains(&format!("Documentation : https://github.com/kube-immutable/kube-immutable/blob/main/docs/rules/fr/{id}.md")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn explain_unknown_rule_lists_known_ids_and_exits_2() {
    let out = run(&["explain", "privilegd"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("unknown rule `privilegd`"));
    assert!(
        out.stderr.contains("privileged, host-namespaces"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------- --jobs

/// Files checked in parallel give the same output, byte for byte, in every
/// format, and the same exit code as one after another.
#[test]
fn jobs_change_neither_output_nor_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let k8s = dir.path().join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    // Enough files, of different sizes, for the threads to finish out of order.
    let fixtures = root().join("crates/kube-immutable-core/tests/fixtures");
    let mut n = 0;
    for rule in std::fs::read_dir(&fixtures).unwrap() {
        for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            std::fs::copy(&path, k8s.join(format!("{n:03}.yaml"))).unwrap();
            n += 1;
        }
    }
    assert!(n > 50, "{n} fixtures");
    std::fs::write(k8s.join("zz-broken.yaml"), "kind: Pod\nspec: [\n").unwrap();
    for format in ["text", "json", "sarif"] {
        let one = run_in(
            dir.path(),
            &[
                "check",
                "--format",
                format,
                "--jobs",
                "1",
                "k8s",
                "missing.yaml",
            ],
            None,
        );
        assert_eq!(one.code, 2, "{format}: input errors win");
        for jobs in ["2", "4", "64"] {
            let many = run_in(
                dir.path(),
                &[
                    "check",
                    "--format",
                    format,
                    "--jobs",
                    jobs,
                    "k8s",
                    "missing.yaml",
                ],
                None,
            );
            assert_eq!(many.code, one.code, "{format} --jobs {jobs}");
            assert!(
                many.stdout == one.stdout,
                "{format} --jobs {jobs}: output differs"
            );
        }
        let default = run_in(
            dir.path(),
            &["check", "--format", format, "k8s", "missing.yaml"],
            None,
        );
        assert!(default.stdout == one.stdout, "{format}: default jobs");
    }
    let ok = run_in(dir.path(), &["check", "-j", "2", "k8s/000.yaml"], None);
    assert!(ok.code <= 1, "{}", ok.stderr);
}

#[test]
fn jobs_must_be_at_least_one() {
    let out = run(&["check", "--jobs", "0", MUTABLE]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--jobs"), "{}", out.stderr);
}

#[test]
fn check_and_fix_find_the_nearest_settings_file() {
    let repo = tempfile::tempdir().unwrap();
    let root_dir = repo.path();
    std::fs::create_dir(root_dir.join(".git")).unwrap();
    let pod = std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap();
    for dir in ["apps/web", "apps/db"] {
        std::fs::create_dir_all(root_dir.join(dir)).unwrap();
        std::fs::write(root_dir.join(dir).join("pod.yaml"), &pod).unwrap();
    }
    std::fs::write(
        root_dir.join(".kube-immutable.yaml"),
        "rules:\n  privileged: off\n",
    )
    .unwrap();
    std::fs::write(
        root_dir.join("apps/db/kube-immutable.yaml"),
        "rules:\n  run-as-root: off\n",
    )
    .unwrap();
    let rules = |out: &Out, file: &str| -> Vec<String> {
        let mut r: Vec<String> = out.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"].as_str().unwrap().ends_with(file))
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect();
        r.sort();
        r.dedup();
        r
    };
    let out = run_in(root_dir, &["check", "--format", "json", "apps"], None);
    let web = rules(&out, "web/pod.yaml");
    let db = rules(&out, "db/pod.yaml");
    assert!(
        !web.contains(&"privileged".to_owned()) && web.contains(&"run-as-root".to_owned()),
        "{web:?}"
    );
    // The nearest file alone applies: the root's is not merged in.
    assert!(
        db.contains(&"privileged".to_owned()) && !db.contains(&"run-as-root".to_owned()),
        "{db:?}"
    );
    // From another working directory, and through stdin (the working
    // directory's file).
    let out = run_in(
        &root_dir.join("apps/web"),
        &["check", "--format", "json", "pod.yaml"],
        None,
    );
    assert_eq!(rules(&out, "pod.yaml"), web);
    let out = run_in(
        &root_dir.join("apps/db"),
        &["check", "--format", "json", "-"],
        Some(&pod),
    );
    assert_eq!(rules(&out, "-"), db);
    // `--config` wins for every input.
    let out = run_in(
        root_dir,
        &["check", "--format", "json", "--config", "/dev/null", "apps"],
        None,
    );
    assert!(rules(&out, "web/pod.yaml").contains(&"privileged".to_owned()));
    // `fix` uses the same file: the privileged container is left alone.
    let out = run_in(&root_dir.join("apps/web"), &["fix", "pod.yaml"], None);
    assert!(out.stdout.contains("privileged: true"), "{}", out.stdout);
    // An invalid file: exit 2, the key named.
    std::fs::write(
        root_dir.join("apps/db/kube-immutable.yaml"),
        "rules:\n  run-as-root: loud\n",
    )
    .unwrap();
    let out = run_in(root_dir, &["check", "apps"], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("run-as-root"), "{}", out.stderr);
    assert!(out.stderr.contains("kube-immutable.yaml"), "{}", out.stderr);
}
