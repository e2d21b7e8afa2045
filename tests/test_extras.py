"""Packaging extras (issue 19): the base install is the lean core, every heavy part is an extra,
and a command whose extra is missing says which one to install (exit 2, no traceback)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "weasyprint", "fastapi", "uvicorn", "pandas", "scikit-learn", "onnxruntime", "shap")


def _name(req: str) -> str:
    import re

    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_base_dependencies_are_the_lean_core(project):
    base = {_name(r) for r in project["dependencies"]}
    assert not base & set(HEAVY), base & set(HEAVY)
    # what the core commands need is there: catalog, classification, assessment, signed HTML/JSON/OSCAL reports
    assert {"pydantic", "sqlalchemy", "alembic", "pyyaml", "jinja2", "cryptography", "compliance-trestle"} <= base


def test_extras_cover_every_part(project):
    extras = project["optional-dependencies"]
    assert {"core", "tabular", "genai", "server", "pdf", "all", "dev"} <= set(extras)
    names = {k: {_name(r) for r in v} for k, v in extras.items()}
    assert {"torch", "transformers"} <= names["genai"]
    assert {"pandas", "scikit-learn", "onnxruntime"} <= names["tabular"]
    assert {"fastapi", "uvicorn", "fastapi-offline", "argon2-cffi"} <= names["server"]
    assert names["pdf"] == {"weasyprint"}
    assert extras["all"] == ["tianping[core,tabular,genai,server,pdf]"]
    assert {"pytest", "ruff", "mypy"} <= names["dev"]


def test_setup_installs_all_and_dev():
    assert "${TIANPING_EXTRAS:-all,dev}" in (ROOT / "scripts" / "setup.sh").read_text()
    assert "${TIANPING_EXTRAS:-all,dev}" in (ROOT / "scripts" / "main.sh").read_text()


def _without(monkeypatch, *gone: str) -> None:
    import tianping.extras as extras

    real = extras._find_spec
    monkeypatch.setattr(extras, "_find_spec", lambda m: None if m.split(".")[0] in gone else real(m))


def test_require_names_the_extra(monkeypatch):
    from tianping.errors import TianpingError
    from tianping.extras import missing, require

    require("core", "yaml")  # present: nothing happens
    assert missing("yaml", "tianping_no_such_module") == ["tianping_no_such_module"]
    _without(monkeypatch, "torch")
    with pytest.raises(TianpingError) as exc:
        require("genai", "yaml", "torch")
    assert exc.value.title == "missing extra"
    assert "pip install 'tianping[genai]'" in exc.value.render() and "torch" in exc.value.render()
    with pytest.raises(ValueError):
        require("nonsense", "yaml")


def test_pdf_rendering_without_weasyprint_says_install_pdf(monkeypatch):
    from tianping.errors import TianpingError
    from tianping.reporting.render import render_pdf

    _without(monkeypatch, "weasyprint")
    with pytest.raises(TianpingError) as exc:
        render_pdf("<p>x</p>")
    assert "tianping[pdf]" in exc.value.render()


@pytest.mark.parametrize(("args", "gone", "extra"), [
    (["serve"], "fastapi", "server"),
    (["test", "tabular", "--model", "m.onnx", "--data", "d.csv", "--target", "y"], "onnxruntime", "tabular"),
    (["watermark", "detect", "some text", "--key", "k"], "torch", "genai"),
    (["label", "check", "x.png"], "c2pa", "genai"),
])
def test_commands_say_which_extra_to_install(monkeypatch, tmp_path, args, gone, extra):
    from typer.testing import CliRunner

    from tianping.cli.main import app

    _without(monkeypatch, gone)
    res = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'tp.db'}", *args])
    assert res.exit_code == 2, res.output
    assert f"pip install 'tianping[{extra}]'" in res.output
    assert "Traceback" not in res.output
