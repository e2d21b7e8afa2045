"""Assessment → report files → signed bundle, with audit events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..audit import append_event
from ..crypto import KeyPair
from .bundle import MANIFEST, sha256_file, write_bundle
from .render import oscal_assessment_results, render_html, render_pdf


def report_files(assessment: dict[str, Any], *, langs: tuple[str, ...] = ("en", "zh"), pdf: bool = True) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "assessment.json": json.dumps(assessment, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        "oscal-assessment-results.json": json.dumps(oscal_assessment_results(assessment), ensure_ascii=False, indent=2).encode(
            "utf-8"
        ),
    }
    for lang in langs:
        html = render_html(assessment, lang)
        files[f"report.{lang}.html"] = html.encode("utf-8")
        if pdf:
            files[f"report.{lang}.pdf"] = render_pdf(html)
    return files


def build_bundle(db, assessment: dict[str, Any], out: Path, key: KeyPair, *, langs=("en", "zh"), pdf: bool = True) -> Path:
    files = report_files(assessment, langs=langs, pdf=pdf)
    meta = {"system": assessment["system"], "runs": [r["id"] for r in assessment["runs"]], "totals": assessment["totals"]}
    path = write_bundle(out, files, key, meta)
    with db.session() as s:
        append_event(
            s, "assessment.created", "system", assessment["system"], {"totals": assessment["totals"], "runs": meta["runs"]}
        )
        append_event(
            s,
            "report.exported",
            "system",
            assessment["system"],
            {
                "bundle": str(path),
                "files": sorted(files),
                "signer": key.fingerprint,
                "manifest_sha256": sha256_file(path / MANIFEST),
            },
        )
    return path
