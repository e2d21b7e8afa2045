"""The web forms of the real run kinds: form fields -> the same request documents as the API."""

from __future__ import annotations

from typing import Any

from .uploads import iter_upload_file


def _one(data: dict[str, list[str]], key: str) -> str:
    return ((data.get(key) or [""])[0] or "").strip()


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def genai_config(data: dict[str, list[str]]) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "target": _one(data, "target") or "local",
        "suite": _one(data, "suite") or "tc260",
        "langs": [x for x in data.get("langs", []) if x] or ["zh", "en"],
    }
    if data.get("attacks"):
        cfg["attacks"] = [a for a in data["attacks"] if a]
    limit = _one(data, "limit")
    if limit:
        cfg["limit"] = int(limit) if limit.isdigit() else limit  # a non-number is reported by the validation
    judge = _one(data, "judge")
    if judge:
        cfg["judge"] = judge
    return cfg


def form_options() -> dict[str, Any]:
    """Suites and attacks to choose from on the system page."""
    from ..evaluation.genai.registry import attacks, suites

    return {"suites": suites.names(), "attacks": attacks.names()}


async def tabular_request(rs, p, system_id: str, form) -> dict[str, Any]:
    """Store the form's files as uploads (streamed, size-limited) and build the tabular request."""
    from ..errors import Problem, TianpingError

    data = form.get("data")
    if data is None or isinstance(data, str) or not getattr(data, "filename", ""):
        raise TianpingError(Problem("choose the dataset file (CSV or Parquet)", field="data"), title="invalid input")
    up = await rs.upload(p, system_id, data.filename, iter_upload_file(data))
    cfg: dict[str, Any] = {"data": up["id"], "target": str(form.get("target") or "").strip()}
    model = form.get("model")
    # default None, not "": under `if`, mypy infers getattr's default as bool and rejects a str
    if model is not None and not isinstance(model, str) and getattr(model, "filename", None):
        cfg["model"] = (await rs.upload(p, system_id, model.filename, iter_upload_file(model)))["id"]
    pred = str(form.get("predictions") or "").strip()
    if pred:
        cfg["predictions"] = pred
    for key in ("sensitive", "features"):
        vals = _csv(str(form.get(key) or ""))
        if vals:
            cfg[key] = vals
    return cfg
