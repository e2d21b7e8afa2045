"""Shared helpers of the importer tests: the committed tool outputs, the CLI runner, run counts."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
ROOT = HERE.parents[1]
SYSTEM = "customer-service-chatbot"
EXAMPLE = ROOT / "examples" / "systems" / "customer-service-chatbot.yaml"
LM_RESULTS = next((FIX / "lm_eval").glob("results_*.json"))
GARAK_REPORT = next((FIX / "garak").glob("*.report.jsonl"))

sys.path.insert(0, str(ROOT / "benchmarks"))

runner = CliRunner()


def cli(db: Path, *args: str):
    from tianping.cli.main import app

    return runner.invoke(app, ["--db", str(db), *args])


def run_count(db: Path) -> int:
    from sqlalchemy import func, select

    from tianping.store import open_database
    from tianping.store.models import RunRow

    d = open_database(f"sqlite:///{db}")
    try:
        with d.session() as s:
            return s.scalar(select(func.count()).select_from(RunRow))
    finally:
        d.dispose()
