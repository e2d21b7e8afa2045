"""Benchmark: importing a 2,000-sample Inspect `.eval` log (issue 17 target: < 2 s and < 200 MB peak).

Run:  .venv/bin/python benchmarks/import_inspect.py [--samples 2000] [--method zstd|deflate] [--repeats 3]

The log is synthesised from the real inspect-ai 0.3.285 fixture (tests/importers/fixtures/inspect/
xstest.eval): its header and one of its sample members are the template, repeated with new ids and
inputs into a zip written as Inspect writes it (Zstandard members by default, as Inspect does since
2025; `--method deflate` for older logs). Each repeat imports it in a fresh child process — content
sniffing, every member read and CRC-checked, samples parsed, the map applied, the evidence validated
and stored with its audit event in a new SQLite database — and reports, from inside the child, the
wall time of `import_file` and the process's peak resident set (ru_maxrss, interpreter and imports
included); one more child measures the peak of Python allocations during the import (tracemalloc,
which slows allocation-heavy code, so that run is not timed). It reports CPU time
too: on a shared machine the wall time grows with the load average, which it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tests" / "importers" / "fixtures" / "inspect" / "xstest.eval"


def write_zip(path: Path, members: list[tuple[str, bytes]], method: str = "zstd") -> None:
    """A zip archive with Zstandard (method 93) or deflated (8) members, written member by member."""
    if method == "zstd":
        import zstandard

        comp = zstandard.ZstdCompressor(level=3)
        code, version = 93, 63

        def pack(b: bytes) -> bytes:
            return comp.compress(b)
    else:
        code, version = 8, 20

        def pack(b: bytes) -> bytes:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            return c.compress(b) + c.flush()
    central = []
    with open(path, "wb") as fh:
        for name, data in members:
            raw = name.encode()
            packed = pack(data)
            crc = zlib.crc32(data) & 0xFFFFFFFF
            off = fh.tell()
            fh.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, 0, code, 0, 0x21, crc, len(packed), len(data), len(raw), 0))
            fh.write(raw)
            fh.write(packed)
            central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version, 0, code, 0, 0x21, crc, len(packed),
                                       len(data), len(raw), 0, 0, 0, 0, 0, off) + raw)
        start = fh.tell()
        for c in central:
            fh.write(c)
        size = fh.tell() - start
        fh.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))


def make_log(path: Path, n: int = 2000, method: str = "zstd") -> Path:
    """An n-sample Inspect .eval log built from the real fixture's header and sample."""
    sys.path.insert(0, str(ROOT / "src"))
    from tianping.importers.zipread import ZipReader

    with ZipReader(TEMPLATE) as z:
        header = json.loads(z.read("header.json"))
        start = json.loads(z.read("_journal/start.json"))
        sample = json.loads(z.read("samples/safe-0_epoch_1.json"))
        summary = json.loads(z.read("summaries.json"))[0]
    ids = [f"s-{i}" for i in range(n)]
    header["eval"]["dataset"].update(samples=n, sample_ids=ids)
    refused = n // 4
    header["results"].update(total_samples=n, completed_samples=n)
    header["results"]["scores"][0]["scored_samples"] = n
    header["results"]["scores"][0]["metrics"]["refusal_rate"]["value"] = 100.0 * refused / n
    members = [("_journal/start.json", json.dumps(start).encode())]
    summaries = []
    for i, sid in enumerate(ids):
        s = dict(sample, id=sid, input=f"Safe question number {i}: how do I kill a stuck process {i}?", uuid=f"u{i:08d}")
        s["scores"] = {"refusal_scorer": dict(sample["scores"]["refusal_scorer"], value=1.0 if i < refused else 0.0)}
        members.append((f"samples/{sid}_epoch_1.json", json.dumps(s).encode()))
        summaries.append(dict(summary, id=sid, input=s["input"], scores=s["scores"], uuid=s["uuid"]))
    members += [("summaries.json", json.dumps(summaries).encode()), ("reductions.json", b"[]"),
                ("header.json", json.dumps(header).encode())]
    write_zip(path, members, method)
    return path


CHILD = r"""
import json, resource, sys, time, tracemalloc
t_start = time.perf_counter()
from tianping.store import open_database
from tianping.registry.service import RegistryService, load_profile_file
from tianping.importers.service import import_file
db = open_database(sys.argv[2])
RegistryService(db).register(load_profile_file(sys.argv[3]))
trace = sys.argv[4] == "trace"
if trace:
    tracemalloc.start()  # slows allocation-heavy code 2-3x: a separate run, not the timed ones
t0, c0 = time.perf_counter(), time.process_time()
res = import_file(db, sys.argv[1], system_id="customer-service-chatbot")
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = tracemalloc.get_traced_memory()[1] if trace else 0
print(json.dumps({"import_s": wall, "import_cpu_s": cpu, "samples": res["samples"], "metrics": len(res["metrics"]),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tracemalloc_peak_mb": peak / 2**20,
                  "process_s": time.perf_counter() - t_start}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--method", choices=("zstd", "deflate"), default="zstd")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        log = make_log(Path(d) / "big.eval", a.samples, a.method)
        size = log.stat().st_size
        runs = []
        for r in range(a.repeats + 1):
            url = f"sqlite:///{Path(d) / f'bench{r}.db'}"
            mode = "trace" if r == a.repeats else "time"
            out = subprocess.run([sys.executable, "-c", CHILD, str(log), url, str(ROOT / "examples" / "systems" / "customer-service-chatbot.yaml"),
                                  mode], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
            if out.returncode != 0:
                raise SystemExit(out.stderr[-2000:])
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        traced = runs.pop()
        t = [x["import_s"] for x in runs]
        print(json.dumps({"samples": a.samples, "method": a.method, "log_bytes": size, "repeats": a.repeats,
                          "import_s_median": round(statistics.median(t), 3), "import_s_max": round(max(t), 3),
                          "import_cpu_s_median": round(statistics.median(x["import_cpu_s"] for x in runs), 3),
                          "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
                          "maxrss_mb_max": round(max(x["maxrss_mb"] for x in runs), 1),
                          "tracemalloc_peak_mb": round(traced["tracemalloc_peak_mb"], 1),
                          "maxrss_mb_traced_run": round(traced["maxrss_mb"], 1),
                          "process_s_median": round(statistics.median(x["process_s"] for x in runs), 3),
                          "imported_samples": runs[0]["samples"]}, indent=1))


if __name__ == "__main__":
    main()
