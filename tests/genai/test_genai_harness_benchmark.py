"""The harness-overhead benchmark keeps working: its stub answers like an OpenAI endpoint and the
Tianping driver stores every sample (the peer tools need their own venv and are not run here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "harness_overhead"


def test_stub_and_tianping_driver(tmp_path):
    stub = subprocess.Popen([sys.executable, str(BENCH / "stub_server.py"), "--max-seconds", "120"], stdout=subprocess.PIPE, text=True)
    try:
        url = stub.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        import httpx

        with httpx.Client() as c:  # keep-alive: several requests on one connection
            for _ in range(3):
                r = c.post(url + "/chat/completions", json={"model": "stub", "messages": [{"role": "user", "content": "hi"}]})
                assert r.json()["choices"][0]["message"]["content"].startswith("I'm sorry")
            assert c.get(url + "/models").json()["data"][0]["id"] == "stub"
            assert c.get(url + "/nope").status_code == 404
        out = subprocess.run([sys.executable, str(BENCH / "drive_tianping.py"), "--base-url", url, "--n", "60", "--workdir", str(tmp_path)],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        m = json.loads(out.stdout.strip().splitlines()[-1])
        assert m["n"] == m["ok"] == m["stored"]["jsonl_lines"] == 60 and m["errors"] == 0 and m["refusal_rate"] == 1.0
        assert m["eval_cpu_s"] > 0 and m["setup_cpu_s"] > 0
    finally:
        stub.terminate()
        stub.wait(timeout=10)
