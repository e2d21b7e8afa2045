"""Indicator definitions: names (zh/en) and units of the series the methodologies may use.

A methodology may only name indicators defined here, derived by Tianping (`tp.gov.*`), or
already imported into the store; anything else is a typo until proven otherwise, and failing
early with the file and line is cheaper than a silently empty dimension.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import TianpingError
from ..yamlio import load_yaml_file, validation_problems
from .countries import Title

DATA = Path(__file__).parent / "data"


class IndicatorDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: Title
    unit: str | None = None
    derived: bool = False


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicators: list[IndicatorDef]


@lru_cache(maxsize=1)
def builtin_indicators() -> dict[str, IndicatorDef]:
    doc = load_yaml_file(DATA / "indicators.yaml")
    try:
        f = _File.model_validate(doc.data)
    except ValidationError as exc:  # pragma: no cover - bundled data is tested
        raise TianpingError(validation_problems(exc, doc), title="invalid indicator definitions") from None
    return {d.id: d for d in f.indicators}


def indicator_name(indicator_id: str, lang: str = "en", fallback: str | None = None) -> str:
    d = builtin_indicators().get(indicator_id)
    if d is None:
        return fallback or indicator_id
    from ..i18n import lang_text

    return lang_text(d.name.model_dump(), lang)
