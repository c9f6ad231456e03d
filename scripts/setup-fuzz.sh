#!/usr/bin/env bash
# Installs what `cargo xtask fuzz` needs: the nightly toolchain (libFuzzer's
# instrumentation needs it) and cargo-fuzz, pinned. Safe to run again: each
# step checks first. Not part of scripts/setup.sh: fuzzing is not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

cargo_fuzz_version=0.13.2

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    step "rustup toolchain install nightly --profile minimal"
    rustup toolchain install nightly --profile minimal
fi

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
    step "cargo install cargo-fuzz $cargo_fuzz_version"
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi
