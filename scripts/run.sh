#!/usr/bin/env bash
# The main job: the playground. Installs what is missing (scripts/setup.sh:
# the wasm target, Trunk, the wasm-bindgen CLI matching Cargo.lock, the npm
# packages), builds it and serves it on http://127.0.0.1:8080, rebuilding
# when a source changes. Stop it with Ctrl+C.
#
# The command line is one `cargo run -p kube-immutable -- check …` away: see
# the README's "Command line" section.
set -euo pipefail
cd "$(dirname "$0")/.."

"$(pwd)/scripts/setup.sh"
echo
echo "The playground will be at http://127.0.0.1:8080 once built (the first build takes a few minutes)."
echo
exec trunk serve --release
