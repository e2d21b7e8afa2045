"""Benchmark: the server's read endpoints with 100,000 registered systems in PostgreSQL (127.0.0.1 only).

Run:  .venv/bin/python benchmarks/server_load.py [--db postgresql://...] [--systems 100000]
      [--seconds 15] [--max-requests 20000] [--concurrency 16] [--workers 2]

Needs `wrk` (a load generator written in C; Debian/Ubuntu: `apt-get install -y wrk`), so the
client costs the machine little CPU next to the server it measures. Without --db a throw-away
PostgreSQL cluster is started on a free loopback port (Debian's postgresql binaries, like the
tests). The systems, their filings (80% published) and 100 provider organisations are
bulk-inserted, then VACUUM ANALYZE (what autovacuum does on a running server); then `tianping
serve --no-worker` runs in its own processes and wrk, with a Lua script that cycles through
varying ids and offsets, hits each read endpoint for a bounded time and request count (2 s
warm-up first). Prints requests/s, latency percentiles, non-2xx answers and the server's CPU
time per request for each endpoint, the load average, and the verdict against the target:
≥ 500 requests/s with p99 < 100 ms on a 2-core machine, no errors.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIANPING = Path(sys.executable).parent / "tianping"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres() -> tuple[str, callable]:
    bindir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="tianping-bench-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    base.chmod(0o755)
    port = free_port()
    subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "tianping", "--auth=trust", "-E", "UTF8",
                             "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                             f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB", "start"],
                   check=True, capture_output=True)
    subprocess.run(prefix + [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "tianping", "bench"], check=True)

    def stop() -> None:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    return f"postgresql+psycopg://tianping@127.0.0.1:{port}/bench", stop


def seed(url: str, n: int) -> tuple[list[str], list[str]]:
    """Bulk-insert n systems with filings; returns (published ids, ids owned by the benchmark provider)."""
    import uuid

    import yaml
    from sqlalchemy import func, insert, select

    from tianping.server.accounts import add_user
    from tianping.server.models import FilingRow, OrganisationRow, UserRow
    from tianping.store import open_database
    from tianping.store.models import SystemRow

    db = open_database(url)
    template = json.loads(json.dumps(yaml.safe_load((ROOT / "examples/systems/customer-service-chatbot.yaml").read_text()), default=str))
    with db.session() as s:
        have = s.scalar(select(func.count()).select_from(SystemRow))
    if have < n:
        t0 = time.time()
        orgs = [{"id": str(uuid.uuid4()), "name": f"Org {i:03d}", "created_at": "2026-01-01T00:00:00+00:00"} for i in range(100)]
        with db.session() as s:
            s.execute(insert(OrganisationRow), orgs)
        now = "2026-01-01T00:00:00+00:00"
        for start in range(0, n, 5000):
            systems, filings = [], []
            for i in range(start, min(n, start + 5000)):
                sid = f"bench-{i:06d}"
                org = orgs[i % 100]
                doc = dict(template, id=sid, name=f"Benchmark system {i}", organisation={"name": org["name"], "country": "CN"})
                systems.append({"id": sid, "name": doc["name"], "organisation": org["name"], "version": 1, "document": doc,
                                "created_at": now, "updated_at": f"2026-01-01T{i % 24:02d}:00:00+00:00"})
                published = i % 5 != 0
                filings.append({"system_id": sid, "organisation_id": org["id"], "status": "published" if published else "draft",
                                "revision": 1, "filing_number": f"TP-2026-{i + 1:07d}" if published else None,
                                "published_name": doc["name"] if published else None, "published_document": doc if published else None,
                                "published_name_zh": doc.get("name_zh") if published else None,
                                "published_jurisdictions": doc.get("jurisdictions") if published else None,
                                "published_version": 1 if published else None,
                                "published_at": f"2026-01-{1 + i % 28:02d}T00:00:{i % 60:02d}+00:00" if published else None,
                                "created_at": now, "updated_at": now})
            with db.session() as s:
                s.execute(insert(SystemRow), systems)
                s.execute(insert(FilingRow), filings)
        print(f"seeded {n} systems in {time.time() - t0:.1f} s")
        add_user(db, "bench", "bench-password-1", "provider", organisation="Org 000")
    # a steady-state server has been vacuumed by autovacuum: statistics and the visibility map
    # (index-only scans) are current; a freshly bulk-loaded table is not there yet
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    with db.session() as s:
        published = list(s.scalars(select(FilingRow.system_id).where(FilingRow.status == "published")))
        org0 = s.scalar(select(UserRow.organisation_id).where(UserRow.username == "bench"))
        own = list(s.scalars(select(FilingRow.system_id).where(FilingRow.organisation_id == org0)))
    db.dispose()
    return published, own


# -- load generator: wrk with a Lua script -----------------------------------------------------
WRK_LUA = r"""
-- cycles through the paths in args[1] (from a random start); stops after args[2] responses;
-- args[3], if given, is a bearer token. done() prints one JSON line for the benchmark to read.
-- The run's duration is taken from the first request to the last response (clock_gettime via
-- LuaJIT's FFI): wrk's own duration is the -d limit even when the budget ends the run sooner.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tp_timespec; int clock_gettime(int clk, tp_timespec *tp); ]]
local ts = ffi.new("tp_timespec")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9 end
local paths, n, i, budget = {}, 0, 0, 0
local threads = {}
seen, t_first, t_last = 0, 0, 0
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do n = n + 1; paths[n] = line end
  math.randomseed(os.time())
  i = math.random(n)
  budget = tonumber(args[2])
  if args[3] then wrk.headers["Authorization"] = "Bearer " .. args[3] end
  t_first = now(); t_last = t_first
end
function request()
  i = i % n + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  seen = seen + 1
  t_last = now()
  if seen >= budget then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local t0, t1 = math.huge, 0
  for _, t in ipairs(threads) do t0 = math.min(t0, t:get("t_first")); t1 = math.max(t1, t:get("t_last")) end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, ' ..
    '"non_2xx": %d, "socket_errors": %d}\n', summary.requests, math.floor((t1 - t0) * 1e6), latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for t in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (t / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def wrk(port: int, script: Path, paths_file: Path, seconds: float, budget: int, concurrency: int, token: str | None) -> dict:
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script),
           f"http://127.0.0.1:{port}", "--", str(paths_file), str(budget)] + ([token] if token else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH "))
    return json.loads(line[6:])


def measure(port: int, server_pid: int, work: Path, name: str, paths: list[str], token: str | None, args) -> dict:
    script = work / "paths.lua"
    paths_file = work / f"paths-{abs(hash(name))}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    wrk(port, script, paths_file, 2, 2000, args.concurrency, token)  # warm-up: connections, prepared statements, caches
    cpu0 = cpu_seconds(server_pid)
    r = wrk(port, script, paths_file, args.seconds, args.max_requests, args.concurrency, token)
    cpu = cpu_seconds(server_pid) - cpu0
    secs = r["us"] / 1e6
    return {"endpoint": name, "requests": r["requests"], "seconds": round(secs, 1), "rps": round(r["requests"] / secs),
            "p50": round(r["p50"] / 1000, 1), "p95": round(r["p95"] / 1000, 1), "p99": round(r["p99"] / 1000, 1),
            "non_2xx": r["non_2xx"] + r["socket_errors"], "cpu_ms": round(cpu * 1000 / max(1, r["requests"]), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--systems", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="server processes (tianping serve --workers)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk, a load generator in C: on Debian/Ubuntu `apt-get install -y wrk` "
                 "(elsewhere: https://github.com/wg/wrk, `make`, put `wrk` on PATH)")
    home = tempfile.mkdtemp(prefix="tianping-bench-home-")
    os.environ["TIANPING_HOME"] = home
    work = Path(home)
    (work / "paths.lua").write_text(WRK_LUA)
    stop_pg = None
    url = args.db
    if url is None:
        url, stop_pg = start_postgres()
    server = None
    try:
        published, own = seed(url, args.systems)
        port = free_port()
        env = dict(os.environ, TIANPING_ACCESS_LOG="0", TIANPING_SECRET_KEY="bench")
        server = subprocess.Popen([str(TIANPING), "serve", "--db", url, "--port", str(port), "--no-worker", "--workers", str(args.workers),
                                   "--log-level", "warning"], env=env)
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        tok = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token", json={"username": "bench", "password": "bench-password-1"}).json()["token"]
        rnd = random.Random(7)
        scenarios = [  # (name, paths, token, counts for the verdict)
            ("GET /api/v1/health (no database: framework ceiling)", ["/api/v1/health"], None, False),
            ("GET /api/v1/public/systems (page of 20, offsets 0-2000)", [f"/api/v1/public/systems?limit=20&offset={rnd.randrange(0, 2000, 20)}" for _ in range(500)], None, True),
            ("GET /api/v1/public/systems/{id}", [f"/api/v1/public/systems/{rnd.choice(published)}" for _ in range(2000)], None, True),
            ("GET /api/v1/systems/{id} (provider, token)", [f"/api/v1/systems/{rnd.choice(own)}" for _ in range(1000)], tok, True),
            ("GET /api/v1/systems (provider's 1,000, page of 20)", [f"/api/v1/systems?limit=20&offset={rnd.randrange(0, 980, 20)}" for _ in range(200)], tok, True),
        ]
        print(f"systems: {args.systems} ({len(published)} published), server processes {args.workers}, wrk 1 thread, "
              f"{args.concurrency} connections, ≤ {args.seconds:.0f} s and ≤ {args.max_requests} requests per endpoint, "
              f"CPUs: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
        print(f"{'endpoint':<56}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'non-2xx':>9}{'server CPU ms/req':>19}")
        ok = True
        for name, paths, token, counts in scenarios:
            r = measure(port, server.pid, work, name, paths, token, args)
            if counts:
                ok &= r["rps"] >= 500 and r["p99"] < 100 and r["non_2xx"] == 0
            print(f"{name:<56}{r['requests']:>9}{r['rps']:>8}{r['p50']:>8}{r['p95']:>8}{r['p99']:>8}{r['non_2xx']:>9}{r['cpu_ms']:>19}",
                  flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f} (other work on the machine inflates the latencies)")
        print("targets for the four database reads (≥ 500 req/s, p99 < 100 ms, no errors):", "met" if ok else "NOT met")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        if stop_pg:
            stop_pg()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
