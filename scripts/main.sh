#!/usr/bin/env bash
# Set up and run the main job on the embedded defaults (SQLite in the user data directory,
# the bundled catalog and sample systems). Extra arguments go to `tianping demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh fonts-wqy-zenhei fonts-thai-tlwg fonts-noto-core  # Chinese, Thai and Vietnamese text in the PDF report
TIANPING_EXTRAS=${TIANPING_EXTRAS:-all,dev} bash scripts/setup.sh
exec .venv/bin/tianping demo "$@"
