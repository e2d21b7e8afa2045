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


def test_yaml_parse_cache_gives_the_same_data_and_lines(tmp_path, monkeypatch):
    from tianping import yamlio

    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIANPING_YAML_CACHE", "1")
    pack = next((ROOT / "src" / "tianping" / "rules" / "packs").glob("*.yaml"))
    first = yamlio.load_yaml_file(pack)  # parsed, then cached
    cached = list((tmp_path / "home" / "cache" / "yaml").glob("*.json"))
    assert len(cached) == 1 and (cached[0].stat().st_mode & 0o077) == 0
    second = yamlio.load_yaml_file(pack)  # from the cache: no node tree until a line is asked for
    assert second.node is None and second.data == first.data and second.data is not first.data
    key = next(iter(first.data))
    assert second.line_of((key,)) == first.line_of((key,)) is not None
    # a cache file others could have written is not read
    cached[0].chmod(0o666)
    assert yamlio.load_yaml_file(pack).node is not None
    # a user's own file (outside the package) is never cached
    mine = tmp_path / "mine.yaml"
    mine.write_text("a: 1\n", encoding="utf-8")
    assert yamlio.load_yaml_file(mine).data == {"a": 1}
    assert len(list((tmp_path / "home" / "cache" / "yaml").glob("*.json"))) == 1


def test_catalog_list_reads_a_current_sqlite_copy_without_sqlalchemy(tmp_path):
    first = _probe(tmp_path, "catalog", "list", "--json")  # creates the database and syncs the catalog
    assert "sqlalchemy" in first["modules"]
    second = _probe(tmp_path, "catalog", "list", "--json")
    assert "sqlalchemy" not in second["modules"]


def test_fast_catalog_list_equals_the_service(tmp_path, monkeypatch):
    import sqlite3

    from tianping.catalog.service import CatalogService
    from tianping.cli import catalog as cli_catalog
    from tianping.cli.common import STATE
    from tianping.store import open_database

    db_path = tmp_path / "c.db"
    db = open_database(f"sqlite:///{db_path}")
    slow = CatalogService(db).list_instruments()
    db.dispose()
    monkeypatch.setattr(STATE, "db_url", str(db_path))
    assert cli_catalog._fast_instruments() == json.loads(json.dumps(slow, default=str))
    with sqlite3.connect(db_path) as c:  # a copy that is not current is never read directly
        c.execute("update catalog_meta set value = 'stale' where key = 'data_hash'")
    assert cli_catalog._fast_instruments() is None
    monkeypatch.setattr(STATE, "db_url", str(tmp_path / "absent.db"))
    assert cli_catalog._fast_instruments() is None
