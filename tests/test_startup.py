"""Start-up: a command imports only what it uses (see docs/benchmarks.md, "Start-up").

Checked in a fresh interpreter, since the test session itself has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "systems" / "eu-credit-scoring.yaml"

HEAVY = ("torch", "transformers", "weasyprint", "fastapi", "starlette", "uvicorn", "ray", "pandas", "sklearn", "scipy",
         "matplotlib", "onnxruntime", "shap")

PROBE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from tianping.cli.main import app
sys.argv = ["tianping", *ARGS]
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
ru = resource.getrusage(resource.RUSAGE_SELF)
sys.stderr.write("\n" + json.dumps({"code": code, "modules": sorted(m for m in sys.modules if "." not in m),
                                    "cpu_s": ru.ru_utime + ru.ru_stime, "wall_s": time.perf_counter() - t0}) + "\n")
"""


def _probe(tmp_path: Path, *args: str) -> dict:
    env = {**os.environ, "TIANPING_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    env.pop("TIANPING_DB_URL", None)
    res = subprocess.run([sys.executable, "-c", PROBE.replace("ARGS", repr(list(args)))], env=env, capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    info = json.loads(res.stderr.strip().splitlines()[-1])
    assert info["code"] in (0, None), res.stdout[-2000:] + res.stderr[-2000:]
    return info


@pytest.mark.parametrize("args", [["classify", str(PROFILE)], ["classify", str(PROFILE), "--json"],
                                  ["obligations", str(PROFILE), "--json"]])
def test_classify_a_file_imports_no_heavy_library_and_no_database(tmp_path, args):
    info = _probe(tmp_path, *args)
    loaded = set(info["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    # a profile file is classified without opening the database
    assert "sqlalchemy" not in loaded and "alembic" not in loaded
    assert not (tmp_path / "home" / "tianping.db").exists()


def test_catalog_list_imports_no_heavy_library(tmp_path):
    info = _probe(tmp_path, "catalog", "list", "--json")
    loaded = set(info["modules"])
    assert not loaded & {"torch", "transformers", "weasyprint", "fastapi", "starlette", "uvicorn", "ray", "pandas",
                         "sklearn", "scipy", "matplotlib", "onnxruntime", "shap"}, sorted(loaded & set(HEAVY))


def test_version_imports_almost_nothing(tmp_path):
    info = _probe(tmp_path, "--version")
    assert not set(info["modules"]) & {"pydantic", "sqlalchemy", "yaml", *HEAVY}


def test_classify_start_up_budget(tmp_path):
    """A generous CPU budget (the target is 0.3 s wall on an idle machine; CI machines are loaded, so
    this only catches a heavy import creeping back in, which costs 0.3-1 s)."""
    info = _probe(tmp_path, "classify", str(PROFILE), "--json")
    assert info["cpu_s"] < 1.5, info["cpu_s"]
