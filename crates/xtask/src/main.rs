//! `cargo xtask <task>`: the project's own tooling (docs, conformance,
//! benchmarks, the policy, playground and npm builds). Run `cargo xtask help` for the list.

mod bench;
mod bench_admission;
mod bench_hostile;
mod bench_lsp;
mod bench_stream;
mod bench_vap;
mod conformance;
mod docs;
mod fuzz;
mod kubewarden;
mod man;
mod npm;
// The playground's share links, from the CLI's one builder of them.
#[path = "../../kube-immutable-cli/src/playground.rs"]
mod playground;
mod policy;
mod psa_oracle;
mod typography;
mod web;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <task>

Tasks:
  docs [--check]              generate docs/rules/*.md from the rules' doc comments, docs/man/*.1 from the CLI
  conformance [CORPUS_DIR]    per-rule agreement with ../shared/corpus (or CORPUS_DIR / $KUBE_IMMUTABLE_CORPUS)
  bench [--stream-mb MB] [CORPUS_DIR]
                              time the CLI against the YAML parser alone on the real-world corpus, then a
                              1 GB stream and List on stdin and 10 MB files (time, peak memory)
  bench-hostile [--runs N]    time and peak memory of the CLI on alias bombs, deep nesting, a 100 MB input
  build-policy                build the optimised Kubewarden module into target/policy/ (annotated when kwctl is found)
  build-web [--check-budgets] build the playground's release dist into target/web/ and print its sizes
  build-npm                   build the npm package (check, fix, the <kube-immutable-check> element) into target/npm/
  bench-web [--runs N] [CORPUS_DIR]
                              time the playground in Chromium: first render, a 1 MB manifest, typing
  bench-lsp [--runs N] [--binary PATH] [CORPUS_DIR]
                              time the language server on the two 1 MB manifests of bench-web: first diagnostics, an edit, memory
  bench-admission [--duration SECS] [--concurrency 1,8,32]
                              load policy-server on 127.0.0.1: our policy beside the five official ones
  bench-vap [--requests N]    the API server's CPU per dry run under the exported ValidatingAdmissionPolicies
  fuzz --seconds N [--target T]
                              run the cargo-fuzz targets (check, fix, settings, policy_validate) N s each (nightly)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "docs" => docs::run(rest),
        "conformance" => conformance::run(rest),
        "bench" => bench::run(rest),
        "build-policy" => policy::run(rest),
        "build-web" => web::run(rest),
        "bench-web" => web::bench(rest),
        "bench-hostile" => bench_hostile::run(rest),
        "bench-admission" => bench_admission::run(rest),
        "bench-lsp" => bench_lsp::run(rest),
        "bench-vap" => bench_vap::run(rest),
        "build-npm" => npm::run(rest),
        "fuzz" => fuzz::run(rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives in `crates/xtask`).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default()
}
