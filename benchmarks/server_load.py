"""Benchmark: the server's read endpoints with 100,000 registered systems in PostgreSQL (127.0.0.1 only).

Run:  .venv/bin/python benchmarks/server_load.py [--db postgresql://...] [--systems 100000]
      [--seconds 15] [--max-requests 20000] [--concurrency 16]

Without --db a throw-away PostgreSQL cluster is started on a free loopback port (Debian's
postgresql binaries, like the tests). The systems, their filings (80% published) and 100
provider organisations are bulk-inserted; then `tianping serve --no-worker` runs in its own
process and a load generator in a second process (asyncio, raw HTTP/1.1 keep-alive
connections, so the client costs little CPU) hits each read endpoint for a bounded time and
request count. Prints requests/s and latency percentiles per endpoint; the target is ≥ 500
requests/s with p99 < 100 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import multiprocessing as mp
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
                                "published_version": 1 if published else None,
                                "published_at": f"2026-01-{1 + i % 28:02d}T00:00:{i % 60:02d}+00:00" if published else None,
                                "created_at": now, "updated_at": now})
            with db.session() as s:
                s.execute(insert(SystemRow), systems)
                s.execute(insert(FilingRow), filings)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"seeded {n} systems in {time.time() - t0:.1f} s")
        add_user(db, "bench", "bench-password-1", "provider", organisation="Org 000")
    with db.session() as s:
        published = list(s.scalars(select(FilingRow.system_id).where(FilingRow.status == "published")))
        org0 = s.scalar(select(UserRow.organisation_id).where(UserRow.username == "bench"))
        own = list(s.scalars(select(FilingRow.system_id).where(FilingRow.organisation_id == org0)))
    db.dispose()
    return published, own


# -- load generator (second process) --------------------------------------------------------
async def _worker(port: int, paths: list[str], headers: str, deadline: float, budget: list[int], lat: list[float], errors: list[int]):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rnd = random.Random(os.getpid() ^ id(lat))
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            path = rnd.choice(paths)
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if status != 200:
                errors[0] += 1
    finally:
        writer.close()


def loadgen(port: int, paths: list[str], headers: str, seconds: float, max_requests: int, concurrency: int, out) -> None:
    async def main():
        lat: list[float] = []
        errors = [0]
        budget = [max_requests]
        t0 = time.perf_counter()
        await asyncio.gather(*[_worker(port, paths, headers, t0 + seconds, budget, lat, errors) for _ in range(concurrency)])
        out.put({"n": len(lat), "elapsed": time.perf_counter() - t0, "lat": lat, "errors": errors[0]})

    asyncio.run(main())


def measure(port: int, name: str, paths: list[str], headers: str, args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    # warm-up (connections, caches), then the measured run
    p = ctx.Process(target=loadgen, args=(port, paths, headers, 2, 500, args.concurrency, q))
    p.start(); q.get(); p.join()
    p = ctx.Process(target=loadgen, args=(port, paths, headers, args.seconds, args.max_requests, args.concurrency, q))
    p.start()
    r = q.get()
    p.join()
    lat = sorted(r["lat"])
    pct = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] * 1000  # noqa: E731
    return {"endpoint": name, "requests": r["n"], "seconds": round(r["elapsed"], 1), "rps": round(r["n"] / r["elapsed"]),
            "p50": round(pct(0.50), 1), "p95": round(pct(0.95), 1), "p99": round(pct(0.99), 1), "non_200": r["errors"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--systems", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="server processes (tianping serve --workers)")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="tianping-bench-home-")
    os.environ["TIANPING_HOME"] = home
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
        auth = f"Authorization: Bearer {tok}\r\n"
        rnd = random.Random(7)
        scenarios = [
            ("GET /api/v1/health (no database: framework ceiling)", ["/api/v1/health"], ""),
            ("GET /api/v1/public/systems (page of 20, offsets 0-2000)", [f"/api/v1/public/systems?limit=20&offset={rnd.randrange(0, 2000, 20)}" for _ in range(500)], ""),
            ("GET /api/v1/public/systems/{id}", [f"/api/v1/public/systems/{rnd.choice(published)}" for _ in range(2000)], ""),
            ("GET /api/v1/systems/{id} (provider, token)", [f"/api/v1/systems/{rnd.choice(own)}" for _ in range(1000)], auth),
            ("GET /api/v1/systems (provider's 1,000, page of 20)", [f"/api/v1/systems?limit=20&offset={rnd.randrange(0, 980, 20)}" for _ in range(200)], auth),
        ]
        print(f"systems: {args.systems} ({len(published)} published), server processes {args.workers}, concurrency {args.concurrency}, "
              f"≤ {args.seconds:.0f} s and ≤ {args.max_requests} requests per endpoint, CPUs: {os.cpu_count()}")
        print(f"{'endpoint':<56}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'non-200':>9}")
        ok = True
        for name, paths, hdr in scenarios:
            r = measure(port, name, paths, hdr, args)
            ok &= r["rps"] >= 500 and r["p99"] < 100 and r["non_200"] == 0
            print(f"{name:<56}{r['requests']:>9}{r['rps']:>8}{r['p50']:>8}{r['p95']:>8}{r['p99']:>8}{r['non_200']:>9}")
        print("targets (≥ 500 req/s, p99 < 100 ms, no errors):", "met" if ok else "NOT met")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        if stop_pg:
            stop_pg()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
