#!/usr/bin/env bash
# Install AI Verify's three tabular toolboxes into a venv of their own, never the project's.
# Why separate: they pin their own numpy/scikit-learn/shap and pull CUDA NCCL through xgboost,
# which must not leak into Tianping's environment. The size is recorded for the footprint table.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$HERE/.venv-aiverify"
PY="${PYTHON:-python3.11}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install \
  aiverify-fairness-metrics-toolbox-for-classification \
  aiverify-robustness-toolbox \
  aiverify-shap-toolbox
"$VENV/bin/pip" list --format=freeze > "$VENV/aiverify-freeze.txt"
du -sh "$VENV" | tee "$VENV/aiverify-size.txt"
