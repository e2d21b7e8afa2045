"""Optional parts of Tianping and the one message that says how to get them.

The base install (`tianping[core]`) covers the catalog, registry, classification, plans,
assessment and reports without PDF. Heavier parts are extras (see pyproject.toml):

    tabular  `tianping test tabular` (pandas, scikit-learn, onnxruntime, gradient boosting, SHAP)
    genai    `tianping eval`, content labels and watermarks (torch, transformers, c2pa, Pillow)
    server   `tianping serve` (FastAPI, uvicorn, argon2, Swagger UI assets)
    pdf      PDF reports (WeasyPrint)
    all      everything above

A command calls `require(extra, module, ...)` before importing what it needs, so a missing
extra is a clear user error (exit 2 with the pip command), never an ImportError traceback.
"""

from __future__ import annotations

import importlib.util

from .errors import Problem, TianpingError

_find_spec = importlib.util.find_spec  # a seam for the tests

EXTRAS = ("core", "tabular", "genai", "server", "pdf", "all")

WHAT = {
    "tabular": "testing tabular models",
    "genai": "generative-AI evaluation, content labels and watermarks",
    "server": "the server (tianping serve)",
    "pdf": "PDF reports",
}


def missing(*modules: str) -> list[str]:
    """The modules among `modules` that cannot be imported (checked without importing them)."""
    out = []
    for m in modules:
        try:
            found = _find_spec(m) is not None
        except (ImportError, ValueError):  # a parent package missing, or a broken install
            found = False
        if not found:
            out.append(m)
    return out


def install_hint(extra: str) -> str:
    return f"pip install 'tianping[{extra}]'"


def require(extra: str, *modules: str) -> None:
    """Raise a TianpingError naming the extra to install when one of `modules` is missing."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    gone = missing(*modules)
    if gone:
        what = WHAT.get(extra, extra)
        verb = "is" if len(gone) == 1 else "are"
        raise TianpingError(
            Problem(
                f"{what} needs {', '.join(gone)}, which {verb} not installed: {install_hint(extra)} "
                f"(or 'tianping[all]' for everything)"
            ),
            title="missing extra",
        )
