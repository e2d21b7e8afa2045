#!/usr/bin/env bash
# Set up and run the whole test suite, slow tests included.
# Installs the Debian packages the tests need when missing (PostgreSQL server: the tests start
# their own cluster; poppler-utils to check PDFs; CJK, Thai and Noto fonts for the reports in every language; ffmpeg and espeak-ng for media labels).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh postgresql poppler-utils fonts-wqy-zenhei fonts-thai-tlwg fonts-noto-core ffmpeg espeak-ng chromium

bash scripts/setup.sh
# lint, format and type checks first (their scope is in pyproject.toml); a finding fails the run
.venv/bin/ruff check
.venv/bin/ruff format --check
.venv/bin/mypy
# -m "" selects every test, slow ones included; pass extra pytest arguments through.
set +e
TIANPING_TEST_PROFILE=${TIANPING_TEST_PROFILE:-ci} .venv/bin/python -m pytest -m "" -p no:cacheprovider "$@"
rc=$?
set -e
exit $rc
