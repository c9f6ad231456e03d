#!/usr/bin/env bash
# Every test of the project: formatting, lints (native and wasm), the wasm
# builds, the dependency fence, generated docs, unit/integration/end-to-end
# tests, the README's integrations (pre-commit, GitHub Action, GitLab CI,
# kubectl, Helm), the npm package in Node, the playground's release build and the
# browser tests (playground, docs-site example), and, when the
# shared corpus is there, conformance and the fix harness on 1,500
# real-world manifests, and, when a Kubernetes API server is found
# (scripts/setup.sh unpacks it from ../shared/tools/kubernetes), the
# cluster tests and the Pod Security oracle. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

"$root/scripts/setup.sh"

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, every target)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm: the core without its YAML reader, the policy module, the playground, the npm package)"
cargo clippy -p kube-immutable-core --no-default-features --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p kube-immutable-core --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p kube-immutable-web --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p kube-immutable-js --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p kube-immutable-policy --target wasm32-wasip1 --locked -- -D warnings

step "core builds for both wasm targets"
cargo build -p kube-immutable-core --target wasm32-unknown-unknown --locked
cargo build -p kube-immutable-core --target wasm32-wasip1 --locked

step "dependency fence"
# The core does no IO and knows no wire format: no CLI parser, no JS glue,
# no Kubewarden SDK, no YAML emitter. Its JSON-only build (the admission
# path) carries no YAML reader at all.
core_deps=$(cargo tree -p kube-immutable-core -e normal --prefix none --locked)
for forbidden in clap wasm-bindgen kubewarden-policy-sdk serde_yaml serde_yml k8s-openapi; do
    if grep -q "^$forbidden " <<<"$core_deps"; then
        echo "error: kube-immutable-core depends on $forbidden" >&2
        exit 1
    fi
done
json_only=$(cargo tree -p kube-immutable-core --no-default-features -e normal --prefix none --locked)
if grep -q "^saphyr" <<<"$json_only"; then
    echo "error: kube-immutable-core without default features still pulls in a YAML reader" >&2
    exit 1
fi

step "generated rule docs are up to date; API docs without broken links"
cargo xtask docs --check
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --exclude xtask --exclude kube-immutable-tests --locked

corpus="${KUBE_IMMUTABLE_CORPUS:-$root/../shared/corpus}"
if [ -d "$corpus/realworld" ]; then
    export KUBE_IMMUTABLE_CORPUS="$corpus"
else
    echo "note: no corpus at $corpus: conformance and the real-world fix harness are skipped (set KUBE_IMMUTABLE_CORPUS)" >&2
    unset KUBE_IMMUTABLE_CORPUS
fi

# Kubewarden's own tools (kwctl, policy-server: $KWCTL / $POLICY_SERVER, else
# ../shared/tools/kubewarden/, else PATH). The policy module as it ships,
# annotated when kwctl is found; the kwctl and policy-server end-to-end tests
# then run on those files, and say SKIPPED without the tools.
step "the policy module as it ships (cargo xtask build-policy)"
cargo xtask build-policy
if [ -f target/policy/kube-immutable-policy.annotated.wasm ]; then
    export KUBE_IMMUTABLE_POLICY_ANNOTATED="$root/target/policy/kube-immutable-policy.annotated.wasm"
    export KUBE_IMMUTABLE_POLICY_WASI_ANNOTATED="$root/target/policy/kube-immutable-policy-wasi.annotated.wasm"
else
    echo "note: no kwctl: the kwctl and policy-server end-to-end tests are skipped (set KWCTL and POLICY_SERVER)" >&2
fi

step "cargo test (workspace; with a Kubernetes API server at hand, the cluster tests start one for the run)"
cargo test --workspace --locked

step "the CLI's SARIF validates against the SARIF 2.1.0 schema"
cargo build --quiet -p kube-immutable --locked
sarif_dir=$(mktemp -d)
trap 'rm -rf "$sarif_dir"' EXIT
printf 'kind: Pod\nspec: [\n' > "$sarif_dir/broken.yaml"
# Exit 1 (findings) and 2 (the broken file) are expected here.
target/debug/kube-immutable check --format sarif examples/ > "$sarif_dir/examples.sarif" || [ $? -le 2 ]
target/debug/kube-immutable check --format sarif --lang fr examples/ "$sarif_dir/broken.yaml" > "$sarif_dir/errors.sarif" || [ $? -le 2 ]
node scripts/validate-sarif.cjs "$sarif_dir/examples.sarif" "$sarif_dir/errors.sarif"

step "the CLI's JUnit XML validates against junit-10.xsd and reads back through junitparser"
# Findings, warnings, an exempt namespace (skipped), input errors, an
# unreadable path, French; every report of each run from one check.
printf 'exemptions: {namespaces: [kube-system]}\n' > "$sarif_dir/settings.yaml"
printf 'kind: Pod\nmetadata: {name: agent, namespace: kube-system}\nspec: {hostNetwork: true, containers: [{name: a, image: busybox}]}\n' > "$sarif_dir/exempt.yaml"
target/debug/kube-immutable check --format junit --output-format sarif="$sarif_dir/one-check.sarif" \
    --config "$sarif_dir/settings.yaml" examples/ "$sarif_dir/exempt.yaml" > "$sarif_dir/examples.xml" || [ $? -le 2 ]
target/debug/kube-immutable check --lang fr --output-format junit="$sarif_dir/errors.xml" \
    examples/ "$sarif_dir/broken.yaml" "$sarif_dir/missing.yaml" > /dev/null || [ $? -le 2 ]
node scripts/validate-sarif.cjs "$sarif_dir/one-check.sarif"
junit_python="${XDG_CACHE_HOME:-$HOME/.cache}/kube-immutable/junit-tools/bin/python"
"$junit_python" scripts/validate-junit.py "$sarif_dir/examples.xml" "$sarif_dir/errors.xml"

step "integrations, as the README shows them: pre-commit hooks (try-repo), the GitHub Action's shell steps, GitLab CI, kubectl, Helm"
# On the Python of the pre-commit environment scripts/setup.sh made (PyYAML).
precommit_version=$(sed -n 's/^precommit_version=//p' scripts/setup.sh)
"${XDG_CACHE_HOME:-$HOME/.cache}/kube-immutable/pre-commit-$precommit_version/bin/python" scripts/test-integrations.py

step "the VS Code extension (editors/vscode): type-checked and packaged (the server it starts is tested by cargo test: tests/lsp.rs, tests/neovim.rs)"
(cd editors/vscode && npx --no-install tsc -p ./ --noEmit && npx --no-install vsce package --skip-license --out "$sarif_dir/kube-immutable.vsix" >/dev/null)

step "the Zed extension (editors/zed): its tests, and built for Zed's target, wasm32-wasip2, as a component"
# Its own workspace (Zed's API stays out of the project's lock); the same
# target dir as the rest, so a warm CI run builds nothing.
(cd editors/zed && export CARGO_TARGET_DIR="$PWD/../../target/zed" && cargo fmt --check \
    && cargo clippy --locked --quiet --all-targets -- -D warnings && cargo test --locked --quiet \
    && cargo build --locked --quiet --release --target wasm32-wasip2)
# A WebAssembly component (layer 1), which is what Zed loads, not a core module.
[ "$(od -An -tx1 -j4 -N4 target/zed/wasm32-wasip2/release/kube_immutable_zed.wasm | tr -d ' ')" = 0d000100 ] \
    || { echo "editors/zed: the build is not a WebAssembly component" >&2; exit 1; }

step "the npm package (cargo xtask build-npm): in Node, packed and installed, its TypeScript types"
cargo xtask build-npm
node --test crates/kube-immutable-js/tests/package.test.mjs

step "the playground: release dist within its size budgets (cargo xtask build-web --check-budgets), then the browser tests in Chromium (the playground, the docs-site example)"
cargo xtask build-web --check-budgets
npx --no-install playwright test

if [ -n "${KUBE_IMMUTABLE_CORPUS:-}" ]; then
    step "conformance with the pod-security-admission reference ($KUBE_IMMUTABLE_CORPUS), and with Pod Security admission on a real API server"
    cargo xtask conformance "$KUBE_IMMUTABLE_CORPUS"
fi
