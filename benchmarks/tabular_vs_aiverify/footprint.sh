#!/usr/bin/env bash
# Install footprint of Tianping's tabular-test dependencies, without CUDA, in a throw-away venv.
# Same packages as pyproject.toml's tabular ones (xgboost-cpu, not xgboost, so no nvidia-nccl).
set -euo pipefail
VENV="${1:-/tmp/tianping-tabular-footprint}"
rm -rf "$VENV"
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet numpy pandas pyarrow scikit-learn fairlearn onnxruntime skops xgboost-cpu lightgbm shap matplotlib httpx
echo "nvidia/cuda packages: $("$VENV/bin/pip" list 2>/dev/null | grep -ci -E 'nvidia|cuda' || true)"
du -sh "$VENV" "$VENV"/lib/python3.11/site-packages
