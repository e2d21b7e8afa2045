#!/usr/bin/env bash
# Install the peer evaluation harnesses (inspect-ai, lm-eval) into a venv of their own, never the
# project's: they bring their own pins (openai, datasets, aiohttp…) that must not leak into
# Tianping's environment. lm-eval is installed with its `api` extra only (no torch/transformers):
# the benchmark drives it through an OpenAI-compatible HTTP model type.
#
#   bash benchmarks/harness_overhead/setup_peers.sh        # creates benchmarks/harness_overhead/.venv-peers
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$HERE/.venv-peers"
PY="${PYTHON:-python3.11}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "inspect-ai==0.3.285" "openai" "lm-eval[api]==0.4.13"
"$VENV/bin/pip" list --format=freeze > "$VENV/peers-freeze.txt"
grep -iE '^(inspect[-_]ai|lm[-_]eval|openai|aiohttp|datasets)==' "$VENV/peers-freeze.txt"
