//! End-to-end tests of what fits the CLI into the tools users already run:
//! `--format github`, `--quiet`, `--output`, kubectl's `-f`, the
//! `kubectl-immutable` plugin binary (through a real kubectl when one is on
//! PATH), shell completions, the man page, and the Helm post-renderer mode.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

mod common;
use common::{root, run_in as run, run_program};

use std::path::Path;
use std::process::Command;

const MUTABLE: &str = "examples/mutable-pod.yaml";
const IMMUTABLE: &str = "examples/immutable-pod.yaml";
const HELM_STREAM: &str = "crates/kube-immutable-cli/tests/fixtures/helm-rendered.yaml";

// ---------------------------------------------------------------- --format github

#[test]
fn github_format_is_one_workflow_command_per_finding() {
    let out = run(&root(), &["check", "--format", "github", MUTABLE], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // The four errors and two warnings of the tutorial's pod, nothing else.
    assert_eq!(lines.len(), 6, "{}", out.stdout);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        4
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning ")).count(),
        2
    );
    let privileged = lines
        .iter()
        .find(|l| l.contains("(privileged)"))
        .expect("a privileged annotation");
    assert_eq!(
        *privileged,
        "::error file=examples/mutable-pod.yaml,line=13,col=9,endLine=13,endColumn=25,\
         title=kube-immutable (privileged)::container \"nginx\" is privileged: it can change \
         the node and itself%0APod/nginx-mutable, container \"nginx\"%0AHelp: Set \
         `privileged: false` (or remove the field)."
    );
}

#[test]
fn github_format_escapes_properties_and_reports_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pod = std::fs::read_to_string(root().join(MUTABLE)).unwrap();
    std::fs::write(dir.path().join("a,b:100%.yaml"), &pod).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: Pod\nspec: [\n").unwrap();
    let out = run(
        dir.path(),
        &["check", "--format", "github", ".", "missing.yaml"],
        None,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stdout
            .contains("::error file=./a%2Cb%3A100%25.yaml,line=13,col=9,"),
        "{}",
        out.stdout
    );
    let broken: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error file=./broken.yaml,line="))
        .collect();
    assert_eq!(broken.len(), 1, "{}", out.stdout);
    assert!(
        broken[0].contains(",title=kube-immutable::"),
        "{}",
        broken[0]
    );
    assert!(
        out.stdout
            .contains("::error file=missing.yaml,title=kube-immutable::cannot read: no such file"),
        "{}",
        out.stdout
    );
}

#[test]
fn github_format_from_stdin_names_no_file() {
    let pod = std::fs::read_to_string(root().join(MUTABLE)).unwrap();
    let out = run(&root(), &["check", "--format", "github", "-"], Some(&pod));
    assert_eq!(out.code, 1);
    assert!(out.stdout.lines().all(|l| !l.contains("file=")));
    assert!(out.stdout.starts_with("::warning line=12,col=7,"));
}

// ---------------------------------------------------------------- --quiet, --output, -f

#[test]
fn quiet_text_prints_only_the_findings() {
    let loud = run(&root(), &["check", IMMUTABLE], None);
    let quiet = run(&root(), &["check", "--quiet", IMMUTABLE], None);
    assert_eq!((loud.code, quiet.code), (0, 0));
    assert!(loud.stdout.contains("Found 3 warnings"), "{}", loud.stdout);
    assert!(!quiet.stdout.contains("Found"), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("fixable"), "{}", quiet.stdout);
    assert!(
        loud.stdout.starts_with(&quiet.stdout),
        "the frames are the same"
    );
    assert_eq!(quiet.stdout.matches("warning[").count(), 3);

    // Nothing at all when everything is immutable.
    let clean = "kind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsNonRoot: true}\n  containers:\n  - name: a\n    image: nginx:1.27\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities: {drop: [ALL]}\n";
    let out = run(&root(), &["check", "-q", "-"], Some(clean));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stdout);
}

#[test]
fn quiet_fix_drops_the_summary_but_keeps_input_errors() {
    let out = run(&root(), &["fix", "--diff", "--quiet", MUTABLE], None);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("+        privileged: false"));
    assert_eq!(out.stderr, "");
    let out = run(&root(), &["fix", "-q", MUTABLE, "missing.yaml"], None);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: missing.yaml: cannot read: no such file or directory\n"
    );
    let loud = run(&root(), &["fix", MUTABLE, "missing.yaml"], None);
    assert!(loud.stderr.starts_with(&out.stderr));
    assert!(
        loud.stderr.contains("would change 1 file"),
        "{}",
        loud.stderr
    );
}

#[test]
fn output_writes_the_report_to_a_file_without_colours() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.sarif");
    let out = run(
        &root(),
        &[
            "check",
            "--format",
            "sarif",
            "--output",
            report.to_str().unwrap(),
            MUTABLE,
        ],
        None,
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 6);

    let text = dir.path().join("report.txt");
    let out = run(
        &root(),
        &[
            "--color",
            "always",
            "check",
            "--output",
            text.to_str().unwrap(),
            MUTABLE,
        ],
        None,
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    let written = std::fs::read_to_string(&text).unwrap();
    assert!(written.contains("error[privileged]"), "{written}");
    assert!(!written.contains('\u{1b}'), "no colour codes in a file");

    let out = run(
        &root(),
        &["check", "--output", "no/such/dir/report.txt", IMMUTABLE],
        None,
    );
    assert_eq!(out.code, 2, "an unwritable report is an error");
    assert!(
        out.stderr
            .starts_with("error: cannot write no/such/dir/report.txt:"),
        "{}",
        out.stderr
    );
}

#[test]
fn dash_f_takes_paths_as_kubectl_does() {
    let positional = run(
        &root(),
        &["check", "--format", "json", MUTABLE, IMMUTABLE],
        None,
    );
    let dash_f = run(
        &root(),
        &[
            "check",
            "--format",
            "json",
            "-f",
            MUTABLE,
            "--filename",
            IMMUTABLE,
        ],
        None,
    );
    assert_eq!(positional.code, 1);
    assert_eq!(dash_f.code, positional.code);
    assert_eq!(dash_f.stdout, positional.stdout);
    let fixed = run(&root(), &["fix", "-f", MUTABLE], None);
    assert!(fixed.stdout.contains("privileged: false"));
    let none = run(&root(), &["check"], None);
    assert_eq!(none.code, 2, "a path is still required");
}

// ---------------------------------------------------------------- kubectl plugin

fn plugin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubectl-immutable"))
}

#[test]
fn the_plugin_binary_is_the_cli_named_kubectl_immutable() {
    let pod = std::fs::read_to_string(root().join(MUTABLE)).unwrap();
    let help = run_program(plugin(), &root(), &["--help"], b"", &[]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout
            .contains("Usage: kubectl immutable [OPTIONS] <COMMAND>"),
        "{}",
        help.stdout
    );
    let by_file = run_program(plugin(), &root(), &["check", "-f", MUTABLE], b"", &[]);
    let by_stdin = run_program(plugin(), &root(), &["check", "-"], pod.as_bytes(), &[]);
    let cli = run(&root(), &["check", MUTABLE], None);
    assert_eq!(by_file.code, 1);
    assert_eq!(by_file.stdout, cli.stdout);
    assert_eq!(by_stdin.code, 1);
    assert!(
        by_stdin.stdout.contains("--> -:13:9"),
        "{}",
        by_stdin.stdout
    );
}

/// `kubectl immutable ...` through kubectl itself, which finds plugins on
/// PATH by name: only when a kubectl is installed (it needs no cluster).
#[test]
fn kubectl_runs_the_plugin() {
    let Some(kubectl) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("kubectl"))
            .find(|p| p.is_file())
    }) else {
        eprintln!("SKIPPED: no kubectl on PATH (the plugin binary is tested directly)");
        return;
    };
    let plugin_dir = plugin().parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(plugin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let out = run_program(
        &kubectl,
        &root(),
        &["immutable", "check", "-f", MUTABLE, "--format", "json"],
        b"",
        &[("PATH", path)],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.json()["findings"].as_array().unwrap().len(), 6);
    // `kubectl get deploy -A -o yaml | kubectl immutable check -`, with a
    // `kind: List` such as kubectl prints.
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web, namespace: shop}\n  spec:\n    template:\n      spec:\n        containers:\n        - name: web\n          image: nginx:1.27\n          securityContext: {privileged: true}\n";
    let out = run_program(
        &kubectl,
        &root(),
        &["immutable", "check", "--format", "json", "-"],
        list.as_bytes(),
        &[("PATH", path)],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let findings = out.json()["findings"].as_array().unwrap().clone();
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "privileged" && f["namespace"] == "shop"));
}

// ---------------------------------------------------------------- completions and man

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&root(), &["completions", shell], None);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for word in ["check", "fix", "explain", "format", "export", "vap"] {
            assert!(out.stdout.contains(word), "{shell} lacks {word}");
        }
        // Values of `--format` too, where the shell's script lists them.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(out.stdout.contains("github"), "{shell} lacks github");
        }
    }
    let out = run(&root(), &["completions", "tcsh"], None);
    assert_eq!(out.code, 2);
}

/// The bash script loads in bash and completes `kube-immutable ch` to
/// `check`.
#[test]
fn bash_completion_completes_a_subcommand() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no bash");
        return;
    }
    let script = run(&root(), &["completions", "bash"], None).stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kube-immutable.bash");
    std::fs::write(&file, script).unwrap();
    let probe = format!(
        "source '{}'\nCOMP_WORDS=(kube-immutable ch)\nCOMP_CWORD=1\nCOMP_LINE='kube-immutable ch'\nCOMP_POINT=${{#COMP_LINE}}\nfunction=$(complete -p kube-immutable | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\"$function\" kube-immutable ch kube-immutable\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file.display()
    );
    let out = Command::new("bash").arg("-c").arg(&probe).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        "check",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn man_page_is_roff_and_dir_gets_a_page_per_command() {
    let out = run(&root(), &["man"], None);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(".TH kube-immutable 1"),
        "{}",
        out.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &root(),
        &["man", "--dir", dir.path().to_str().unwrap()],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "kube-immutable-check.1",
            "kube-immutable-completions.1",
            "kube-immutable-explain.1",
            "kube-immutable-export.1",
            "kube-immutable-fix.1",
            "kube-immutable-lsp.1",
            "kube-immutable-man.1",
            "kube-immutable-rules.1",
            "kube-immutable.1",
        ]
    );
    let check = std::fs::read_to_string(dir.path().join("kube-immutable-check.1")).unwrap();
    assert!(check.contains("\\-\\-format"), "{check}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        check.contains(&format!(
            ".TH kube-immutable-check 1  \"kube-immutable {version}\""
        )),
        "{check}"
    );
}

// ---------------------------------------------------------------- Helm post-renderer

#[test]
fn post_renderer_prints_the_fixed_stream_and_exits_0() {
    let stream = std::fs::read_to_string(root().join(HELM_STREAM)).unwrap();
    let out = run(&root(), &["fix", "--stdin-post-renderer"], Some(&stream));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Exactly what `fix -` prints, which exits 1 here (run-as-root-like
    // findings are left for --unsafe-fixes), and the Service untouched.
    let plain = run(&root(), &["fix", "-"], Some(&stream));
    assert_eq!(out.stdout, plain.stdout);
    assert!(out
        .stdout
        .starts_with("---\n# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\n"));
    for needle in [
        "privileged: false",
        "allowPrivilegeEscalation: false",
        "readOnlyRootFilesystem: true",
        "mountPath: /var/cache/nginx",
    ] {
        assert!(out.stdout.contains(needle), "{needle}:\n{}", out.stdout);
    }
    assert!(
        out.stderr.starts_with("kube-immutable: 3 fixes applied, "),
        "{}",
        out.stderr
    );
    // Only warnings are left: what Helm would deploy passes `check`.
    let check = run(
        &root(),
        &["check", "--format", "json", "-"],
        Some(&out.stdout),
    );
    assert_eq!(check.code, 0, "{}", check.stdout);
    let json = check.json();
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(json["summary"]["objects"], 1);
}

#[test]
fn post_renderer_with_unsafe_fixes_and_quiet() {
    let stream = std::fs::read_to_string(root().join(HELM_STREAM)).unwrap();
    let out = run(
        &root(),
        &["fix", "--stdin-post-renderer", "--unsafe-fixes", "-q"],
        Some(&stream),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(out.stdout.contains("runAsNonRoot: true"), "{}", out.stdout);
    let check = run(
        &root(),
        &["check", "--format", "json", "-"],
        Some(&out.stdout),
    );
    assert_eq!(check.json()["summary"]["warnings"], 0, "{}", check.stdout);
}

#[test]
fn post_renderer_fails_only_on_unreadable_input() {
    // Findings left and a broken document: still exit 0, the text as it is.
    let broken = "kind: Pod\nspec: [\n";
    let out = run(&root(), &["fix", "--stdin-post-renderer"], Some(broken));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, broken),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("1 input errors"), "{}", out.stderr);
    // Not UTF-8: nothing printed, exit 2, so Helm stops the release.
    let out = run_program(
        Path::new(env!("CARGO_BIN_EXE_kube-immutable")),
        &root(),
        &["fix", "--stdin-post-renderer"],
        b"kind: Pod\n\xff\n",
        &[],
    );
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert!(
        out.stderr
            .starts_with("error: standard input: cannot read: not UTF-8"),
        "{}",
        out.stderr
    );
    // It reads stdin only: paths are refused.
    let out = run(&root(), &["fix", "--stdin-post-renderer", MUTABLE], None);
    assert_eq!(out.code, 2);
}
