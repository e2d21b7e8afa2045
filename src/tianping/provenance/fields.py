"""The GB 45438-2025 Annex E implicit-label record (`AIGC`) and its JSON form.

Why a model of its own: every container (PNG text chunk, XMP, ID3, MP4 atom, text trailer) carries
the same seven fields as one JSON object, and checking must treat labels written by other tools the
same way — so parsing is tolerant (extra keys kept, values coerced to strings, an outer {"AIGC": …}
accepted) but bounded (size limit, object only).
Cites: cn-aigc-labeling:gb45438-implicit-metadata, gb45438-annex-e-* (field names verified; the Label
value codes 1/2/3 are UNVERIFIED, see the catalog).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import TianpingError
from .limits import MAX_LABEL_BYTES

AIGC_KEY = "AIGC"
FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2")
PRODUCER_FIELDS = ("Label", "ContentProducer", "ProduceID")
PROPAGATOR_FIELDS = ("ContentPropagator", "PropagateID")
# Label value codes as used by implementations (UNVERIFIED against the standard's text)
LABEL_CONFIRMED, LABEL_POSSIBLY, LABEL_SUSPECTED = "1", "2", "3"
CITES_IMPLICIT = ["cn-aigc-labeling:art-5", "cn-aigc-labeling:gb45438-implicit-metadata", "cn-aigc-labeling:gb45438-annex-e"]


@dataclass
class AIGCLabel:
    """The seven Annex E fields (empty string = not filled in) plus any unknown keys found."""

    Label: str = LABEL_CONFIRMED
    ContentProducer: str = ""
    ProduceID: str = ""
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FIELDS}

    def to_json(self) -> str:
        """Compact JSON of the seven fields in Annex E order (the value stored under the key AIGC)."""
        return json.dumps({**self.fields(), **self.extra}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def parse(cls, raw: str | bytes, where: str = "AIGC") -> AIGCLabel:
        if isinstance(raw, bytes):
            if len(raw) > MAX_LABEL_BYTES:
                raise TianpingError(f"{where}: implicit label larger than {MAX_LABEL_BYTES} bytes", title="invalid label")
            raw = raw.decode("utf-8", errors="replace")
        if len(raw) > MAX_LABEL_BYTES:
            raise TianpingError(f"{where}: implicit label larger than {MAX_LABEL_BYTES} bytes", title="invalid label")
        try:
            data: Any = json.loads(raw.strip().strip("\x00"))
        except ValueError as exc:
            raise TianpingError(f"{where}: implicit label is not JSON ({exc.args[0][:80]})", title="invalid label") from None
        if isinstance(data, dict) and isinstance(data.get(AIGC_KEY), dict):
            data = data[AIGC_KEY]
        if not isinstance(data, dict) or not any(k in data for k in FIELDS):
            raise TianpingError(f"{where}: implicit label is not an object with Annex E fields", title="invalid label")
        known = {k: _s(data.get(k, "")) for k in FIELDS}
        extra = {str(k): _s(v) for k, v in data.items() if k not in FIELDS}
        return cls(**known, extra=extra)

    def missing(self) -> list[str]:
        """Producer-side fields the measures require (Art. 5: attribute, producer, content number)."""
        return [k for k in PRODUCER_FIELDS if not getattr(self, k)]


def _s(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
