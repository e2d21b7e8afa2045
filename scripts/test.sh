#!/usr/bin/env bash
# Set up and run the whole test suite, slow tests included.
# Installs Debian's PostgreSQL server when it is missing (the tests start their own cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing PostgreSQL (Debian) for the database tests..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL server binaries not found and cannot install them (need root + apt-get)." >&2
  fi
fi

bash scripts/setup.sh
# -m "" selects every test, slow ones included; pass extra pytest arguments through.
set +e
.venv/bin/python -m pytest -m "" -p no:cacheprovider "$@"
rc=$?
set -e
exit $rc
