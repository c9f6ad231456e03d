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
for target in wasm32-unknown-unknown wasm32-wasip1; do
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

# npm packages (package.json): wasm-opt, which shrinks the policy module
# (Debian's binaryen is too old for current rustc output), and the SARIF
# 2.1.0 schema with ajv, which scripts/test.sh validates the CLI's SARIF with.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@microsoft/jest-sarif ]; then
    if command -v npm >/dev/null 2>&1; then
        step "npm ci (binaryen: wasm-opt; the SARIF schema and ajv)"
        npm ci --no-audit --no-fund --loglevel=error
    else
        echo "warning: npm not found: the policy module is built without wasm-opt, and SARIF cannot be validated" >&2
    fi
fi

# Every crate the build needs, once, so later steps can run offline.
step "cargo fetch"
cargo fetch --locked >/dev/null
