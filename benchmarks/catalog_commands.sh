#!/usr/bin/env bash
# Whole-process wall time of the catalog, classify and obligations commands (issue 19: under 0.3 s).
# Per command: one warm-up run (syncs the catalog into the store, fills the parse cache), then REPEAT runs
# timed by /usr/bin/time; prints best and median. Uses the default SQLite store of TIANPING_HOME (default:
# a fresh folder under /tmp) and this checkout's venv.
#   bash benchmarks/catalog_commands.sh [REPEAT]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T="$ROOT/.venv/bin/tianping"
REPEAT="${1:-7}"
export TIANPING_HOME="${TIANPING_HOME:-$(mktemp -d /tmp/tianping-catalog-bench.XXXX)}"
# as in a normal install, Python keeps the compiled bytecode of what it imports (a sandbox may turn that off)
unset PYTHONDONTWRITEBYTECODE
PROFILE="$ROOT/examples/systems/eu-credit-scoring.yaml"
times=$(mktemp)
run() {
  "$T" "$@" >/dev/null 2>&1 || true
  local a=()
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -o "$times" -f "%e" "$T" "$@" >/dev/null 2>&1 || true
    a+=("$(tail -1 "$times")")
  done
  python3 - "$*" "${a[@]}" <<'PY'
import statistics, sys
name, vals = sys.argv[1], [float(v) for v in sys.argv[2:]]
print(f"| `{name}` | {min(vals):.2f} | {statistics.median(vals):.2f} |")
PY
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $REPEAT runs each"
echo "| command | best wall s | median wall s |"
echo "|---|---|---|"
run catalog list
run catalog list --json
run catalog show eu-ai-act
run catalog show eu-ai-act --json
run catalog search "human oversight"
run catalog search 透明度
run catalog crosswalk eu-ai-act:art-10
run catalog principles
run catalog coverage
run catalog validate
run catalog changes --since 2026-01-01
run classify "$PROFILE"
run obligations "$PROFILE"
rm -f "$times"
