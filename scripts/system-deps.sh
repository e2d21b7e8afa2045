#!/usr/bin/env bash
# Install the Debian packages Tianping needs when they are missing (idempotent, best effort when
# not root). Usage: scripts/system-deps.sh PACKAGE...
#   postgresql        real database server for the PostgreSQL tests
#   poppler-utils     pdftoppm, to check rendered PDF reports
#   fonts-wqy-zenhei  a CJK font so Chinese reports and charts render
#   ffmpeg, espeak-ng video labels and the spoken audio label cue
#   chromium          the real browser the web UI tests drive with Playwright (executablePath)
set -euo pipefail
missing=()
for pkg in "$@"; do
  case "$pkg" in
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=("$pkg") ;;
    *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (need root + apt-get to install): ${missing[*]}" >&2
fi
