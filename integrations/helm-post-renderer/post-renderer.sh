#!/bin/sh
# Helm's post-renderer contract: the rendered stream on stdin, the fixed
# stream on stdout, a non-zero exit only when the stream cannot be read.
# KUBE_IMMUTABLE_ARGS adds options (for example `--unsafe-fixes` or
# `--config restricted.yaml`).
# shellcheck disable=SC2086
exec kube-immutable fix --stdin-post-renderer ${KUBE_IMMUTABLE_ARGS:-} "$@"
