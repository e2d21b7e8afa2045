"""Shared fixtures: an isolated data home per test session, SQLite and a real PostgreSQL server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

# nothing may be downloaded at test time: models and data load from disk only
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Property tests: no per-example deadline (a loaded CI machine is not a bug); the official test
# command (scripts/test.sh) sets TIANPING_TEST_PROFILE=ci for a derandomised, reproducible run.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("dev", deadline=None, print_blob=True)
_hyp_settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True, database=None)
_hyp_settings.load_profile(os.environ.get("TIANPING_TEST_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory):
    """Never touch the user's real data directory from tests."""
    home = tmp_path_factory.mktemp("tianping-home")
    old = {k: os.environ.get(k) for k in ("TIANPING_HOME", "TIANPING_DB_URL", "TIANPING_LANG")}
    os.environ["TIANPING_HOME"] = str(home)
    os.environ.pop("TIANPING_DB_URL", None)
    os.environ.pop("TIANPING_LANG", None)
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def sqlite_db(tmp_path_factory):
    """One migrated SQLite database with the catalog loaded, shared by read-only tests."""
    from tianping.catalog.sync import ensure_catalog
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'shared.db'}")
    ensure_catalog(db)
    yield db
    db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> Path | None:
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if cands:
        return Path(cands[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def pg_server():
    """Start a throw-away PostgreSQL cluster on 127.0.0.1 for the session; yield its base URL."""
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing in CI (scripts/test.sh installs them)")
        pytest.skip("PostgreSQL server binaries not installed")
    base = Path(tempfile.mkdtemp(prefix="tianping-pg-"))
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir()
    port = _free_port()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:  # initdb refuses to run as root: run the server as the postgres user
        shutil.chown(base, "postgres")
        shutil.chown(sockdir, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    base.chmod(0o755)
    subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(datadir), "-U", "tianping", "--auth=trust", "-E", "UTF8",
                             "--locale=C.UTF-8"], check=True, capture_output=True)
    log = base / "server.log"
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "-o",
                             f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], check=True, capture_output=True)
    url = f"postgresql+psycopg://tianping@127.0.0.1:{port}"
    try:
        yield url
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    import psycopg

    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:40] + f"_{int(time.time()*1000) % 100000}"
    admin = pg_server.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_server}/{name}"
