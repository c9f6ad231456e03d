#!/usr/bin/env bash
# Installs what the project needs on a fresh machine; safe to run again (each
# step checks first). Called by scripts/run.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
    exit 1
fi

# rust-toolchain.toml names the components and targets; make sure they are here.
installed_targets=$(rustup target list --installed 2>/dev/null || true)
for target in wasm32-unknown-unknown wasm32-wasip1 wasm32-wasip2; do
    if ! grep -qx "$target" <<<"$installed_targets"; then
        step "rustup target add $target"
        rustup target add "$target"
    fi
done
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        step "rustup component add $component"
        rustup component add "$component"
    fi
done

# npm packages (package.json, pinned in package-lock.json): wasm-opt
# (binaryen; Debian's is too old for current rustc output), the SARIF 2.1.0
# schema with ajv, esbuild and CodeMirror for the playground's editor,
# Playwright and axe-core for the browser tests (never a browser download:
# the tests use Debian's Chromium), TypeScript to check the npm package's
# types. npm keeps its own copy of the lock in
# node_modules/.package-lock.json: install again when ours is newer.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    if command -v npm >/dev/null 2>&1; then
        step "npm ci (wasm-opt, esbuild, CodeMirror, Playwright, axe-core, TypeScript, the SARIF schema)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    else
        echo "warning: npm not found: the playground cannot be built, the policy module is built without wasm-opt, and SARIF cannot be validated" >&2
    fi
fi

# The VS Code extension's own packages (editors/vscode/package-lock.json:
# vscode-languageclient, TypeScript, @vscode/vsce), apart from the root's so
# that the playground's install does not carry vsce: CI type-checks and
# packages the extension with them.
if [ ! -f editors/vscode/node_modules/.package-lock.json ] || [ editors/vscode/package-lock.json -nt editors/vscode/node_modules/.package-lock.json ]; then
    if command -v npm >/dev/null 2>&1; then
        step "npm ci in editors/vscode (vscode-languageclient, TypeScript, @vscode/vsce)"
        (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error)
    else
        echo "warning: npm not found: the VS Code extension cannot be checked or packaged" >&2
    fi
fi

# pre-commit (PyPI, pinned) in its own virtual environment, for the test of
# .pre-commit-hooks.yaml and the README's integration snippets
# (scripts/test-integrations.py runs on its Python, which has PyYAML).
precommit_version=4.7.0
precommit_venv="${XDG_CACHE_HOME:-$HOME/.cache}/kube-immutable/pre-commit-$precommit_version"
if [ "$("$precommit_venv/bin/pre-commit" --version 2>/dev/null)" != "pre-commit $precommit_version" ]; then
    step "pre-commit $precommit_version (PyPI) into $precommit_venv"
    rm -rf "$precommit_venv"
    # Debian's python3 makes virtual environments only with python3-venv.
    if ! python3 -m venv "$precommit_venv" >/dev/null 2>&1; then
        sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get install -y python3 python3-venv >/dev/null \
            || { $sudo apt-get update >/dev/null && $sudo apt-get install -y python3 python3-venv >/dev/null; }
        rm -rf "$precommit_venv"
        python3 -m venv "$precommit_venv"
    fi
    "$precommit_venv/bin/python" -m pip install --quiet --disable-pip-version-check "pre-commit==$precommit_version"
fi

# The JUnit XML check (scripts/validate-junit.py, run by scripts/test.sh):
# xmlschema validates the CLI's `--format junit` against junit-10.xsd, the
# Jenkins xUnit plugin's schema, which pytest tests its own JUnit output
# against and ships in its source distribution (taken from there, pinned);
# junitparser reads the reports as test-report tools do. All from PyPI, in
# their own virtual environment.
junit_tools="xmlschema==4.3.2 junitparser==5.0.3"
junit_schema_from=pytest==8.4.2
junit_venv="${XDG_CACHE_HOME:-$HOME/.cache}/kube-immutable/junit-tools"
junit_stamp="$junit_tools $junit_schema_from"
if [ "$(cat "$junit_venv/stamp" 2>/dev/null)" != "$junit_stamp" ] || [ ! -f "$junit_venv/junit-10.xsd" ]; then
    step "$junit_tools and junit-10.xsd (from the $junit_schema_from sdist, PyPI) into $junit_venv"
    rm -rf "$junit_venv"
    python3 -m venv "$junit_venv"
    # shellcheck disable=SC2086
    "$junit_venv/bin/python" -m pip install --quiet --disable-pip-version-check $junit_tools
    sdist_dir=$(mktemp -d)
    "$junit_venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: -d "$sdist_dir" "$junit_schema_from"
    tar -xzf "$sdist_dir"/pytest-*.tar.gz -C "$sdist_dir" --wildcards '*/testing/example_scripts/junit-10.xsd'
    cp "$sdist_dir"/pytest-*/testing/example_scripts/junit-10.xsd "$junit_venv/junit-10.xsd"
    rm -rf "$sdist_dir"
    echo "$junit_stamp" > "$junit_venv/stamp"
fi

# Every crate the build needs, once, so later steps can run offline.
step "cargo fetch"
cargo fetch --locked >/dev/null

# Trunk builds the playground (Trunk.toml); it must find wasm-bindgen-cli at
# exactly the version of wasm-bindgen in Cargo.lock, since it runs offline.
trunk_version=0.21.14
if [ "$(trunk --version 2>/dev/null)" != "trunk $trunk_version" ]; then
    step "cargo install trunk $trunk_version (once; ~15 min on 2 cores)"
    cargo install --locked trunk --version "$trunk_version"
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
    step "cargo install wasm-bindgen-cli $bindgen_version (once; matches Cargo.lock)"
    # Not --locked: its own lockfile pins a crate the registry no longer has.
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

# The playground's release build compiles the standard library from source
# for size (crates/xtask/src/web.rs, SIZE_TOOLCHAIN): a pinned nightly with
# rust-src, and the library's own crates fetched for Trunk's offline build.
# Not fatal: without it, `cargo xtask build-web` builds with stable (larger).
size_toolchain=$(awk -F'"' '/^pub\(crate\) const SIZE_TOOLCHAIN/ { print $2 }' crates/xtask/src/web.rs)
if ! rustup run "$size_toolchain" rustc --version >/dev/null 2>&1 \
    || [ ! -f "$(rustup run "$size_toolchain" rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml" ]; then
    step "rustup toolchain install $size_toolchain --profile minimal --component rust-src (the playground's size build)"
    rustup toolchain install "$size_toolchain" --profile minimal --component rust-src \
        || echo "warning: $size_toolchain not installed: the playground will be built with stable" >&2
fi
if size_sysroot=$(rustup run "$size_toolchain" rustc --print sysroot 2>/dev/null); then
    cargo "+$size_toolchain" fetch --manifest-path "$size_sysroot/lib/rustlib/src/rust/library/Cargo.toml" >/dev/null \
        || echo "warning: the standard library's crates could not be fetched: the playground will not build with $size_toolchain" >&2
fi

# Debian's Chromium and ChromeDriver for the browser tests.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    step "apt-get install chromium chromium-driver (browser tests)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y chromium chromium-driver >/dev/null \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium chromium-driver >/dev/null; }
fi

# A real Kubernetes control plane for the cluster tests (tests/tests/cluster,
# the Pod Security oracle of `cargo xtask conformance`): kube-apiserver and
# kubectl from ../shared/tools/kubernetes/ (xz, unpacked once into the
# cache), etcd from Debian. Without the shared tools those tests say SKIPPED.
kube_tools="$(pwd)/../shared/tools/kubernetes"
kube_cache="${XDG_CACHE_HOME:-$HOME/.cache}/kube-immutable/kubernetes"
if [ -f "$kube_tools/kube-apiserver.xz" ] && [ -f "$kube_tools/kubectl.xz" ]; then
    for tool in kube-apiserver kubectl; do
        if [ ! -x "$kube_cache/$tool" ] || [ "$kube_tools/$tool.xz" -nt "$kube_cache/$tool" ]; then
            step "unpack $tool from $kube_tools into $kube_cache"
            mkdir -p "$kube_cache"
            xz -dc "$kube_tools/$tool.xz" > "$kube_cache/$tool.part"
            chmod +x "$kube_cache/$tool.part"
            mv "$kube_cache/$tool.part" "$kube_cache/$tool"
        fi
    done
    if ! command -v etcd >/dev/null 2>&1; then
        step "apt-get install etcd-server (the cluster tests' etcd)"
        sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get install -y etcd-server >/dev/null \
            || { $sudo apt-get update >/dev/null && $sudo apt-get install -y etcd-server >/dev/null; }
    fi
fi

# Debian's Neovim: the language server's test in a real editor
# (crates/kube-immutable-cli/tests/neovim.rs).
if ! command -v nvim >/dev/null 2>&1; then
    step "apt-get install neovim (the language server's editor test)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y neovim >/dev/null \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y neovim >/dev/null; }
fi
