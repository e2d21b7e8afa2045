"""Checking files the way a propagation platform must (Measures Art. 6): read the implicit label,
verify its signatures against the content, look for explicit labels and a C2PA manifest, and grade
the finding as confirmed / possibly / suspected AI-generated.

Verdict rules (cn-aigc-labeling:art-6 facts):
* confirmed — an implicit label (AIGC record in the metadata or in a C2PA assertion) is present
  (its Label value 2/3 lowers this to possibly/suspected: a platform recorded less certainty);
* possibly — no implicit label, but the uploader declares the content AI-generated (`declared=True`);
* suspected — neither, but an explicit label, an AI digital-source type in a C2PA manifest, or the
  text watermark (when a key is given) is found;
* none — no sign of generation found (which does not prove the content is human-made).
A label whose signature fails still yields "confirmed": the record says AI-generated; the failure is
reported separately as tampering or a label moved to other content.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TianpingError
from . import c2pa_io, explicit
from .fields import LABEL_POSSIBLY, LABEL_SUSPECTED, AIGCLabel
from .formats import sniff
from .signing import check_code

VERDICTS = ("confirmed", "possibly", "suspected", "none")


@dataclass
class CheckResult:
    path: str
    format: str | None = None
    verdict: str = "none"
    implicit: dict[str, str] | None = None
    implicit_source: str | None = None  # metadata | c2pa
    missing_fields: list[str] = field(default_factory=list)
    producer_signature: dict[str, Any] | None = None
    propagator_signature: dict[str, Any] | None = None
    explicit: str = "not_checked"  # found | not_found | not_checked
    explicit_detail: str | None = None
    c2pa: dict[str, Any] | None = None
    watermark: dict[str, Any] | None = None
    content_sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    cites: list[str] = field(default_factory=lambda: ["cn-aigc-labeling:art-6"])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def signature_ok(self) -> bool | None:
        sigs = [s for s in (self.producer_signature, self.propagator_signature) if s and s["status"] != "absent"]
        return None if not sigs else all(s["status"] == "valid" for s in sigs)


def check_file(
    path: Path,
    *,
    declared: bool = False,
    trust: set[str] | None = None,
    use_c2pa: bool = True,
    watermark_key: str | None = None,
    c2pa_trust_anchors: str | None = None,
) -> CheckResult:
    """Check one file; user-caused problems (malformed, unsupported) are returned in `error`, never raised."""
    path = Path(path)
    res = CheckResult(str(path))
    try:
        h = sniff(path)
        res.format = h.name
        res.content_sha256 = h.content_hash(path)
        raw, notes = h.read_label(path)
        res.notes += notes
        label = AIGCLabel.parse(raw, str(path)) if raw is not None else None
    except TianpingError as exc:
        res.error = exc.render()
        res.verdict = "possibly" if declared else "none"
        return res
    if label is not None:
        _fill(res, label, "metadata", trust)
    if use_c2pa and h.name in c2pa_io.SUPPORTED:
        c2 = c2pa_io.read(path, h.mime, c2pa_trust_anchors)
        if c2.present:
            res.c2pa = c2.as_dict()
            if label is None and c2.aigc:
                try:
                    label = AIGCLabel.parse(json.dumps(c2.aigc), "C2PA")
                    _fill(res, label, "c2pa", trust)
                except TianpingError as exc:
                    res.notes.append(exc.render())
            elif label is not None and c2.aigc and c2.aigc.get("ProduceID") != label.ProduceID:
                res.notes.append("the C2PA assertion and the metadata label disagree (different ProduceID)")
    _explicit(res, h, path)
    if watermark_key and h.kind == "text":
        from .formats.text import body_text
        from .watermark import detect

        res.watermark = detect(body_text(path), watermark_key).as_dict()
    res.verdict = _verdict(res, label, declared)
    return res


def _fill(res: CheckResult, label: AIGCLabel, source: str, trust: set[str] | None) -> None:
    res.implicit, res.implicit_source = label.fields(), source
    res.missing_fields = label.missing()
    res.producer_signature = check_code("producer", label, res.content_sha256 or "", trust).as_dict()
    res.propagator_signature = check_code("propagator", label, res.content_sha256 or "", trust).as_dict()
    res.cites += ["cn-aigc-labeling:gb45438-annex-e", "cn-aigc-labeling:art-10"]


def _explicit(res: CheckResult, h, path: Path) -> None:
    if h.kind == "text":
        from .formats.text import body_text

        found = explicit.find_text_label(body_text(path))
        res.explicit, res.explicit_detail = ("found", found) if found else ("not_found", None)
    elif h.name == "wav":
        res.explicit = "found" if explicit.detect_rhythm_cue(path) else "not_found"
        res.explicit_detail = (
            "rhythm cue (Morse AI) at the start"
            if res.explicit == "found"
            else "no rhythm cue; a spoken cue is not recognised (no speech recognition offline)"
        )
    else:
        res.explicit_detail = (
            "visible labels in images/video and spoken cues are not recognised automatically (no OCR/ASR offline)"
        )


def _verdict(res: CheckResult, label: AIGCLabel | None, declared: bool) -> str:
    if label is not None:
        return {LABEL_POSSIBLY: "possibly", LABEL_SUSPECTED: "suspected"}.get(label.Label, "confirmed")
    if declared:
        return "possibly"
    if (
        res.explicit == "found"
        or (res.c2pa and res.c2pa.get("ai_source"))
        or (res.watermark and res.watermark.get("watermarked"))
    ):
        return "suspected"
    return "none"


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files to check: each file given, and every regular file under each folder (sorted, hidden skipped)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(
                f for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            out.append(p)
    return out


def summarise(results: list[CheckResult]) -> dict[str, Any]:
    counts = {v: 0 for v in VERDICTS}
    for r in results:
        counts[r.verdict] += 1
    return {
        "files": len(results),
        "verdicts": counts,
        "signatures_valid": sum(1 for r in results if r.signature_ok is True),
        "signatures_failed": sum(1 for r in results if r.signature_ok is False),
        "errors": sum(1 for r in results if r.error),
    }
