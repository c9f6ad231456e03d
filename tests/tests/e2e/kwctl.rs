//! The policy through Kubewarden's own CLI, kwctl: every admission fixture
//! with `kwctl run`, in validate and mutate mode, for both annotated modules
//! (waPC and WASI); invalid settings; the metadata `kwctl annotate`
//! embedded; and every `kwctl` command of the READMEs, run as written.
//!
//! Skipped, with a message, when kwctl is not found (`$KWCTL`, else
//! `../shared/tools/kubewarden/kwctl`, else `PATH`).

use std::path::{Path, PathBuf};
use std::process::Output;

use kube_immutable_core::{yaml, Limits};
use kube_immutable_tests::kubewarden::{
    check_admission_response, request_fixtures, settings_cases, skipped, tutorial_pod_rejected,
    Kwctl, Verdict, KWCTL_ENV, VERDICTS,
};
use kube_immutable_tests::{fixture, workspace_root, Policy};
use serde_json::{json, Value};

fn kwctl() -> Option<Kwctl> {
    let found = Kwctl::find();
    if found.is_none() {
        skipped("kwctl", KWCTL_ENV);
    }
    found
}

fn fixture_path(name: &str) -> PathBuf {
    workspace_root()
        .join("tests")
        .join("fixtures")
        .join("admission")
        .join(name)
}

/// The waPC host's answer for `request` (the fixture's text) and
/// `settings`, from the same annotated module: what kwctl must relay.
fn wapc_answer(policy: &Policy, request_text: &str, settings: &str) -> Value {
    let payload = format!("{{\"request\": {request_text}, \"settings\": {settings}}}");
    policy.call("validate", payload.as_bytes())
}

fn stdout_json(context: &str, output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{context}: kwctl failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{context}: kwctl printed something that is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn the_verdict_table_names_every_fixture() {
    let named: Vec<&str> = VERDICTS.iter().map(|(name, _)| *name).collect();
    assert_eq!(request_fixtures(), named);
}

#[test]
fn every_fixture_through_kwctl_run_in_validate_and_mutate_mode() {
    let Some(kwctl) = kwctl() else { return };
    let modules = [
        ("waPC", kwctl.annotated_wapc()),
        ("WASI", kwctl.annotated_wasi()),
    ];
    let policy = Policy::from_bytes(&std::fs::read(kwctl.annotated_wapc()).expect("annotated"));
    let root = workspace_root();
    let mut cases = Vec::new();
    for (face, module) in &modules {
        for (name, verdicts) in VERDICTS {
            for ((settings_name, settings, validate_mode), verdict) in
                settings_cases().into_iter().zip(verdicts)
            {
                cases.push((
                    *face,
                    module.clone(),
                    *name,
                    settings_name,
                    settings,
                    validate_mode,
                    *verdict,
                ));
            }
        }
    }
    // kwctl takes ~0.1 s a run with its compilation cache: two at a time
    // (a failed assertion in either fails the test).
    let (policy, root) = (&policy, &root);
    std::thread::scope(|scope| {
        for half in cases.chunks(cases.len().div_ceil(2)) {
            let kwctl = &kwctl;
            scope.spawn(move || {
                for (face, module, name, settings_name, settings, validate_mode, verdict) in half {
                    let context = format!("{face} {name} {settings_name}");
                    let output = kwctl.run(
                        root,
                        &[
                            "run".as_ref(),
                            "--request-path".as_ref(),
                            fixture_path(name).as_os_str(),
                            "--settings-json".as_ref(),
                            settings.as_ref(),
                            module.as_os_str(),
                        ],
                    );
                    if *verdict == Verdict::NotJson {
                        // kwctl reads the request itself: the policy never sees it.
                        assert_eq!(output.status.code(), Some(1), "{context}");
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        assert!(
                            stderr.starts_with("Error: EOF while parsing a value"),
                            "{context}: {stderr}"
                        );
                        continue;
                    }
                    let response = stdout_json(&context, &output);
                    assert_eq!(Verdict::of(&response), *verdict, "{context}: {response:#}");
                    if *validate_mode {
                        // Validate mode never returns a patch.
                        assert_eq!(response.get("patch"), None, "{context}: {response:#}");
                    }
                    let request: Value =
                        serde_json::from_str(&fixture(name)).expect("fixture is JSON");
                    let expected = wapc_answer(policy, &fixture(name), settings);
                    check_admission_response(&context, &request, &expected, &response);
                }
            });
        }
    });
}

#[test]
fn the_tutorials_pod_exactly_as_kwctl_answers() {
    let Some(kwctl) = kwctl() else { return };
    let module = kwctl.annotated_wapc();
    let run = |settings: &str| {
        stdout_json(
            settings,
            &kwctl.run(
                &workspace_root(),
                &[
                    "run".as_ref(),
                    "--request-path".as_ref(),
                    fixture_path("mutable-pod.json").as_os_str(),
                    "--settings-json".as_ref(),
                    settings.as_ref(),
                    module.as_os_str(),
                ],
            ),
        )
    };
    let rejected = run("{}");
    assert_eq!(rejected, tutorial_pod_rejected());

    let fixed = run(r#"{"mode": "mutate", "unsafeFixes": true}"#);
    assert_eq!(fixed["allowed"], true, "{fixed:#}");
    let patch = kube_immutable_tests::kubewarden::decode_patch(&fixed).expect("a patch");
    // Kubewarden diffs the returned object against the request's; these
    // are the operations the API server applies, in its order.
    assert_eq!(
        patch,
        json!([
            {"op": "replace", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false},
            {"op": "add", "path": "/spec/containers/0/securityContext/capabilities", "value": {"drop": ["ALL"]}},
            {"op": "replace", "path": "/spec/containers/0/securityContext/privileged", "value": false},
            {"op": "replace", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": true},
            {"op": "add", "path": "/spec/containers/0/securityContext/runAsNonRoot", "value": true},
            {"op": "remove", "path": "/spec/containers/0/securityContext/runAsUser"},
            {"op": "add", "path": "/spec/containers/0/volumeMounts", "value": [
                {"mountPath": "/var/cache/nginx", "name": "nginx-cache"},
                {"mountPath": "/var/run", "name": "nginx-run"},
                {"mountPath": "/tmp", "name": "nginx-tmp"}
            ]},
            {"op": "add", "path": "/spec/securityContext", "value": {"runAsNonRoot": true}},
            {"op": "add", "path": "/spec/volumes", "value": [
                {"emptyDir": {}, "name": "nginx-cache"},
                {"emptyDir": {}, "name": "nginx-run"},
                {"emptyDir": {}, "name": "nginx-tmp"}
            ]}
        ])
    );
    assert_eq!(
        fixed["warnings"].as_array().map(Vec::len),
        Some(6),
        "one warning per applied fix: {fixed:#}"
    );
}

#[test]
fn kwctl_refuses_invalid_settings_with_the_policys_message() {
    let Some(kwctl) = kwctl() else { return };
    let policy = Policy::from_bytes(&std::fs::read(kwctl.annotated_wapc()).expect("annotated"));
    for module in [kwctl.annotated_wapc(), kwctl.annotated_wasi()] {
        for file in [
            "settings-invalid-unknown-key.json",
            "settings-invalid-unknown-rule.json",
            "settings-invalid-wrong-type.json",
            "settings-invalid-untied-container.json",
        ] {
            let answer = policy.call("validate_settings", fixture(file).as_bytes());
            assert_eq!(answer["valid"], false, "{file}: {answer:#}");
            let output = kwctl.run(
                &workspace_root(),
                &[
                    "run".as_ref(),
                    "--request-path".as_ref(),
                    fixture_path("immutable-pod.json").as_os_str(),
                    "--settings-path".as_ref(),
                    fixture_path(file).as_os_str(),
                    module.as_os_str(),
                ],
            );
            assert_eq!(output.status.code(), Some(1), "{file}");
            assert!(output.stdout.is_empty(), "{file}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let expected = format!(
                "Error: Provided settings are not valid: {}",
                answer["message"].as_str().unwrap_or_default()
            );
            // kwctl may log before its answer (tests running in parallel
            // race on its shared wasmtime cache and it warns about it): the
            // answer is the last line.
            assert_eq!(
                stderr.trim_end().lines().last(),
                Some(expected.as_str()),
                "{file}: {stderr}"
            );
        }
    }
}

/// `kwctl inspect --output yaml`, read back.
fn inspect(kwctl: &Kwctl, module: &Path) -> Value {
    let output = kwctl.run(
        &workspace_root(),
        &[
            "inspect".as_ref(),
            "--output".as_ref(),
            "yaml".as_ref(),
            module.as_os_str(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    yaml_value(&String::from_utf8_lossy(&output.stdout))
}

fn yaml_value(text: &str) -> Value {
    let (documents, errors) = yaml::parse_stream(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    assert_eq!(documents.len(), 1, "{text}");
    documents[0].root.to_json()
}

#[test]
fn the_annotated_modules_carry_their_metadata_and_the_readme() {
    let Some(kwctl) = kwctl() else { return };
    let root = workspace_root();
    let readme =
        std::fs::read_to_string(root.join("policy-wasm/README.md")).expect("policy README");
    for (module, metadata_file, mode) in [
        (
            kwctl.annotated_wapc(),
            "policy-wasm/metadata.yml",
            "kubewarden-wapc",
        ),
        (
            kwctl.annotated_wasi(),
            "policy-wasm/metadata-wasi.yml",
            "wasi",
        ),
    ] {
        let metadata =
            yaml_value(&std::fs::read_to_string(root.join(metadata_file)).expect("metadata"));
        let embedded = inspect(&kwctl, &module);
        assert_eq!(embedded["executionMode"], mode, "{embedded:#}");
        for key in ["rules", "mutating", "backgroundAudit", "executionMode"] {
            assert_eq!(embedded[key], metadata[key], "{metadata_file}: {key}");
        }
        assert_eq!(embedded["mutating"], true);
        // `contextAware: false` reads as no context-aware resources.
        assert_eq!(embedded["contextAwareResources"], json!([]));
        let annotations = embedded["annotations"].as_object().expect("annotations");
        for (key, value) in metadata["annotations"].as_object().expect("annotations") {
            assert_eq!(annotations.get(key), Some(value), "{metadata_file}: {key}");
        }
        assert_eq!(
            annotations
                .get("io.kubewarden.policy.usage")
                .and_then(Value::as_str),
            Some(readme.as_str()),
            "the README is embedded as usage"
        );
    }
}

/// Split a shell command line as sh would (single and double quotes,
/// backslashes); enough for the READMEs' commands.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// A fenced block of a Markdown file.
#[derive(Debug)]
struct Block {
    info: String,
    text: String,
}

fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => {
                current = Some(Block {
                    info: info.trim().to_owned(),
                    text: String::new(),
                })
            }
            (Some(_), Some("")) => blocks.extend(current.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The `kwctl` commands of a console/sh block, continuation lines joined.
fn kwctl_commands(block: &Block) -> Vec<String> {
    let mut commands = Vec::new();
    let mut pending: Option<String> = None;
    for line in block.text.lines() {
        let line = line.strip_prefix("$ ").unwrap_or(line);
        let (text, continued) = match line.trim_end().strip_suffix('\\') {
            Some(text) => (text, true),
            None => (line.trim_end(), false),
        };
        match &mut pending {
            Some(command) => {
                command.push(' ');
                command.push_str(text.trim());
            }
            None if text.starts_with("kwctl ") => pending = Some(text.to_owned()),
            None => continue,
        }
        if !continued {
            commands.extend(pending.take());
        }
    }
    commands
}

/// A checkout-shaped folder for the README's commands: the modules under
/// test where `cargo xtask build-policy` writes them, the fixtures and the
/// policy's files where they are in the repository.
fn readme_workdir(kwctl: &Kwctl) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy_dir = dir.path().join("target").join("policy");
    std::fs::create_dir_all(&policy_dir).expect("target/policy");
    for (from, to) in [
        (
            kube_immutable_tests::wapc_module_path(),
            "kube-immutable-policy.wasm",
        ),
        (
            kube_immutable_tests::wasi_module_path(),
            "kube-immutable-policy-wasi.wasm",
        ),
        (
            kwctl.annotated_wapc(),
            "kube-immutable-policy.annotated.wasm",
        ),
        (
            kwctl.annotated_wasi(),
            "kube-immutable-policy-wasi.annotated.wasm",
        ),
    ] {
        std::fs::copy(&from, policy_dir.join(to))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
    for linked in ["tests", "policy-wasm", "examples", "presets"] {
        std::os::unix::fs::symlink(workspace_root().join(linked), dir.path().join(linked))
            .unwrap_or_else(|e| panic!("cannot link {linked}: {e}"));
    }
    dir
}

/// What the README writes for the checkout's path in `module:` lines.
const CHECKOUT: &str = "/path/to/kube-immutable";

/// The value after `flag` in `words`.
fn flag<'a>(words: &'a [String], flag: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| w == flag)
        .and_then(|at| words.get(at + 1))
        .map(String::as_str)
}

#[test]
fn the_readmes_kwctl_commands_run_as_written() {
    let Some(kwctl) = kwctl() else { return };
    let root = workspace_root();
    let workdir = readme_workdir(&kwctl);
    let cwd = workdir.path();
    let policy = Policy::from_bytes(&std::fs::read(kwctl.annotated_wapc()).expect("annotated"));
    let mut ran = Vec::new();
    // What the README says of its `kwctl run` commands, in order (`None`:
    // kwctl refuses the settings).
    let described = [
        Some(Verdict::Denied(403)), // the tutorial's pod
        Some(Verdict::Patched),     // the same, mutate mode with unsafe fixes
        Some(Verdict::Allowed),     // kube-system exempted by settings-valid.json
        Some(Verdict::Denied(403)), // the Deployment, through the WASI command
        None,                       // settings-invalid-unknown-key.json
    ];
    let mut verdicts = Vec::new();
    let mut extended = 0;
    for readme in ["README.md", "policy-wasm/README.md"] {
        let markdown = std::fs::read_to_string(root.join(readme)).expect("README");
        let blocks = fenced_blocks(&markdown);
        for (at, block) in blocks.iter().enumerate() {
            if !matches!(block.info.as_str(), "console" | "sh" | "shell" | "bash") {
                continue;
            }
            for command in kwctl_commands(block) {
                let words = shell_words(&command);
                let context = format!("{readme}: {command}");
                let output = kwctl.run(cwd, &words[1..]);
                let stderr = String::from_utf8_lossy(&output.stderr).to_string();
                match words.get(1).map(String::as_str) {
                    Some("run") => {
                        let request_path =
                            flag(&words, "--request-path").expect("run takes --request-path");
                        let request_text =
                            std::fs::read_to_string(cwd.join(request_path)).expect("request");
                        let settings = match (
                            flag(&words, "--settings-json"),
                            flag(&words, "--settings-path"),
                        ) {
                            (Some(json), _) => json.to_owned(),
                            (None, Some(path)) => {
                                std::fs::read_to_string(cwd.join(path)).expect("settings")
                            }
                            (None, None) => "{}".to_owned(),
                        };
                        let valid = policy.call("validate_settings", settings.as_bytes());
                        if valid["valid"] == true {
                            let response = stdout_json(&context, &output);
                            verdicts.push(Some(Verdict::of(&response)));
                            let request: Value =
                                serde_json::from_str(&request_text).expect("request");
                            let expected = wapc_answer(&policy, &request_text, &settings);
                            check_admission_response(&context, &request, &expected, &response);
                        } else {
                            verdicts.push(None);
                            assert_eq!(output.status.code(), Some(1), "{context}");
                            // The answer is the last line: kwctl may log a
                            // warning about its shared cache before it.
                            let expected = format!(
                                "Error: Provided settings are not valid: {}",
                                valid["message"].as_str().unwrap_or_default()
                            );
                            assert_eq!(
                                stderr.trim_end().lines().last(),
                                Some(expected.as_str()),
                                "{context}: {stderr}"
                            );
                        }
                    }
                    Some("scaffold") => {
                        assert!(output.status.success(), "{context}: {stderr}");
                        let generated = String::from_utf8_lossy(&output.stdout).replace(
                            &format!("file://{}", cwd.display()),
                            &format!("file://{CHECKOUT}"),
                        );
                        let shown = blocks
                            .get(at + 1)
                            .filter(|next| next.info == "yaml")
                            .unwrap_or_else(|| panic!("{context}: no yaml block after it"));
                        let settings = flag(&words, "--settings-json").unwrap_or("{}");
                        let validate_mode = !settings.contains("\"mutate\"");
                        // kwctl copies `mutating: true` from the metadata; a
                        // validate-mode manifest may say `false` instead (the
                        // README says so): the one edit allowed.
                        let edited =
                            generated.replace("\n  mutating: true\n", "\n  mutating: false\n");
                        let as_written =
                            shown.text == generated || (validate_mode && shown.text == edited);
                        if !as_written {
                            // Or kwctl's output with the rules for custom
                            // resources added (the README says so).
                            let mut expected =
                                yaml_value(if validate_mode { &edited } else { &generated });
                            let rules = expected["spec"]["rules"]
                                .as_array_mut()
                                .unwrap_or_else(|| panic!("{context}: no rules"));
                            rules.extend(custom_resource_rules(settings));
                            assert_eq!(
                                yaml_value(&shown.text),
                                expected,
                                "{context}: the README shows\n{}\nkwctl generates\n{generated}",
                                shown.text
                            );
                            extended += 1;
                        }
                    }
                    Some("annotate") => {
                        assert!(output.status.success(), "{context}: {stderr}");
                        let written = flag(&words, "--output-path").expect("--output-path");
                        let embedded = inspect(&kwctl, &cwd.join(written));
                        assert_eq!(embedded["mutating"], true, "{context}");
                    }
                    _ => assert!(output.status.success(), "{context}: {stderr}"),
                }
                ran.push(command);
            }
        }
    }
    assert_eq!(
        verdicts, described,
        "the README's `kwctl run` commands and what it says of them"
    );
    for expected in [
        "kwctl annotate",
        "kwctl run",
        "kwctl scaffold manifest",
        "kwctl inspect",
    ] {
        assert!(
            ran.iter().any(|c| c.starts_with(expected)),
            "no `{expected}` in the READMEs: {ran:#?}"
        );
    }
    assert_eq!(
        extended, 1,
        "one manifest shows the rules for custom resources"
    );
    eprintln!("ran {} kwctl commands from the READMEs", ran.len());
}

/// The `ClusterAdmissionPolicy` rules that send the policy the custom
/// resources of the core's table (a rule per API group, every version),
/// then one per kind declared in `settings` (its version, and the plural
/// its CRD would have).
fn custom_resource_rules(settings: &str) -> Vec<Value> {
    use kube_immutable_core::workload::{split_api_version, BUILTIN, KUBERNETES};
    let operations = json!(["CREATE", "UPDATE"]);
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for row in BUILTIN.iter().filter(|row| row.project != KUBERNETES) {
        // OpenShift 3's legacy core-group DeploymentConfig is read in
        // manifests; no API server serves it any more.
        for group in row.groups().filter(|g| !g.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, resources)) => resources.extend(row.resources()),
                None => groups.push((group, row.resources().collect())),
            }
        }
    }
    let mut rules: Vec<Value> = groups
        .into_iter()
        .map(|(group, resources)| {
            json!({"apiGroups": [group], "apiVersions": ["*"], "resources": resources, "operations": operations})
        })
        .collect();
    let settings: Value = serde_json::from_str(settings).expect("settings are JSON");
    for entry in settings["workloads"].as_array().into_iter().flatten() {
        let (group, version) = split_api_version(entry["apiVersion"].as_str().expect("apiVersion"));
        let resource = format!("{}s", entry["kind"].as_str().expect("kind").to_lowercase());
        rules.push(json!({"apiGroups": [group], "apiVersions": [version], "resources": [resource], "operations": operations}));
    }
    rules
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r#"kwctl run --settings-json '{"mode": "mutate"}' a\ b "c \"d\"""#),
        [
            "kwctl",
            "run",
            "--settings-json",
            r#"{"mode": "mutate"}"#,
            "a b",
            r#"c "d""#
        ]
    );
}
