"""Adding labels: explicit first (it changes the content), then the implicit AIGC record signed over the
final content hash, then optionally a C2PA manifest (whose hard binding then covers the AIGC record).

A propagating platform calls `propagate`: it fills ContentPropagator / PropagateID and signs
ReservedCode2, leaving the producer's fields and ReservedCode1 untouched, so both signatures verify.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..crypto import KeyPair, load_or_init_keys
from ..errors import Problem, TianpingError
from . import c2pa_io, explicit
from .fields import LABEL_CONFIRMED, AIGCLabel
from .formats import Handler, sniff
from .signing import sign_producer, sign_propagator


@dataclass
class AddResult:
    path: str
    format: str
    explicit: dict[str, Any] | None = None
    implicit: dict[str, str] | None = None
    signed_by: str | None = None
    c2pa: bool = False
    c2pa_stale: bool = False  # a manifest is embedded but no longer matches (metadata changed, not re-signed)
    notes: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _explicit(h: Handler, src: Path, dst: Path, lang: str, position: str, cue: str) -> dict[str, Any]:
    if h.kind == "text":
        from .formats.base import atomic_write
        from .formats.text import body_text

        body = body_text(src)
        if explicit.find_text_label(body):
            if src != dst:
                shutil.copyfile(src, dst)
            return {"kind": "text", "already_present": True}
        new = explicit.label_text(body, lang, position)
        labelled = new.encode("utf-8")

        def write_labelled(fh: BinaryIO) -> None:
            fh.write(labelled)

        atomic_write(dst, write_labelled)
        return {"kind": "text", "position": position, "text": explicit.TEXT_LABELS[lang]}
    if h.kind == "image":
        info = explicit.label_image(src, dst, lang)
        return {
            "kind": "image",
            "text": info.text,
            "text_height": info.text_height,
            "shortest_side": info.shortest_side,
            "ratio": round(info.ratio, 4),
            "box": list(info.box),
        }
    if h.name == "wav":
        return {"kind": "audio", **explicit.label_wav(src, dst, cue, "zh" if lang == "both" else lang)}
    if h.name == "mp3":
        return {"kind": "audio", **explicit.label_mp3(src, dst, cue, "zh" if lang == "both" else lang)}
    if h.kind == "video":
        return {"kind": "video", **explicit.label_video(src, dst, lang)}
    raise TianpingError(Problem(f"no explicit label method for {h.name}", file=str(src)), title="unsupported")


def add_label(
    path: Path,
    producer: str,
    *,
    output: Path | None = None,
    explicit_label: bool = True,
    implicit_label: bool = True,
    sign: bool = False,
    c2pa: bool | None = None,
    produce_id: str | None = None,
    label_value: str = LABEL_CONFIRMED,
    lang: str = "both",
    position: str = "start",
    cue: str = "rhythm",
    keys: KeyPair | None = None,
    c2pa_credentials: c2pa_io.C2paCredentials | None = None,
) -> AddResult:
    """Label one file (in place unless `output` is given). c2pa=None means: with --sign, where supported.
    c2pa_credentials: a CA-issued chain and key for the manifest instead of the local CA."""
    path = Path(path)
    if not producer.strip():
        raise TianpingError(Problem("the producer name or code must not be empty", field="--producer"), title="invalid option")
    h = sniff(path)
    h.content_hash(path)  # validates the whole container before anything is decoded or written
    dst = Path(output) if output else path
    res = AddResult(str(dst), h.name)
    current = path
    if explicit_label:
        res.explicit = _explicit(h, current, dst, lang, position, cue)
        res.cites.append(explicit.CITES_EXPLICIT[h.kind])
        current = dst if dst.exists() else current
    want_c2pa = (sign if c2pa is None else c2pa) and h.name in c2pa_io.SUPPORTED
    if implicit_label:
        h.content_hash(current)  # validates the container before anything is written
        label = AIGCLabel(Label=label_value, ContentProducer=producer, ProduceID=produce_id or uuid.uuid4().hex)
        if sign:
            keys = keys or load_or_init_keys()
            sign_producer(keys, label, h.content_hash(current))
            res.signed_by = keys.fingerprint
        h.write_label(current, dst, label.to_json())
        current = dst
        res.implicit = label.fields()
        res.cites += ["cn-aigc-labeling:art-5", "cn-aigc-labeling:gb45438-annex-e"]
        if want_c2pa:
            keys = keys or load_or_init_keys()
            c2pa_io.sign_file(dst, dst, h.mime, label, keys, c2pa_credentials)
            res.c2pa = True
    elif want_c2pa:
        res.notes.append("C2PA manifest skipped: it carries the implicit label, which was not requested")
    if current != dst and not dst.exists():
        shutil.copyfile(current, dst)
    return res


def propagate(
    path: Path,
    propagator: str,
    *,
    propagate_id: str | None = None,
    sign: bool = False,
    output: Path | None = None,
    keys: KeyPair | None = None,
    c2pa_credentials: c2pa_io.C2paCredentials | None = None,
) -> AddResult:
    """Add the platform's propagation fields to an existing implicit label (Measures Art. 6)."""
    path = Path(path)
    h = sniff(path)
    raw, _ = h.read_label(path)
    if raw is None:
        raise TianpingError(
            Problem("no implicit label to add propagation fields to (use `label add`)", file=str(path)), title="no label"
        )
    label = AIGCLabel.parse(raw, str(path))
    label.ContentPropagator, label.PropagateID = propagator, propagate_id or uuid.uuid4().hex
    res = AddResult(
        str(output or path), h.name, cites=["cn-aigc-labeling:art-6", "cn-aigc-labeling:gb45438-annex-e-contentpropagator"]
    )
    if sign:
        keys = keys or load_or_init_keys()
        sign_propagator(keys, label, h.content_hash(path))
        res.signed_by = keys.fingerprint
    had_c2pa = h.name in c2pa_io.SUPPORTED and c2pa_io.read(path, h.mime).present
    dst = Path(output or path)
    if not had_c2pa:
        h.write_label(path, dst, label.to_json())
    elif not sign:
        h.write_label(path, dst, label.to_json())
        res.c2pa_stale = True
    else:
        # keep the file as the producer shipped it: it becomes the parent ingredient of our manifest
        assert keys is not None  # loaded above: sign is set
        with tempfile.TemporaryDirectory(prefix="tianping-propagate-") as tmp:
            parent = Path(tmp) / f"parent{path.suffix}"
            shutil.copyfile(path, parent)
            h.write_label(path, dst, label.to_json())
            c2pa_io.sign_propagation(parent, dst, dst, h.mime, label, keys, c2pa_credentials)
        res.c2pa = True
    res.implicit = label.fields()
    return res
