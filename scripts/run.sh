#!/usr/bin/env bash
# The main job: check the tutorial's two pods with the CLI, then show the fix
# for the mutable one. `check` exits 1 when it finds errors (the mutable pod
# has four): that is the expected result here, not a failure of this script.
set -euo pipefail
cd "$(dirname "$0")/.."

"$(pwd)/scripts/setup.sh"
cargo build --quiet --locked -p kube-immutable
bin=target/debug/kube-immutable

status=0
"$bin" check examples/ || status=$?
if [ "$status" -gt 1 ]; then
    echo "error: kube-immutable check failed (exit $status)" >&2
    exit "$status"
fi
echo
echo "# kube-immutable fix --diff examples/mutable-pod.yaml"
"$bin" fix --diff examples/mutable-pod.yaml || status=$?
if [ "$status" -gt 1 ]; then
    exit "$status"
fi
