"""Jurisdiction codes: ISO 3166-1 alpha-2 (GB), ISO 3166-2 (US-CO) and named groups (EU, ASEAN, COE).

The valid codes are data: `data/iso3166.json` (generated from the ISO databases, see its `origin`)
and `jurisdictions.yaml` (groups, which international instruments reach whom, laws known but not
encoded). Input is case-insensitive (`eu` is EU); an unknown code is an error with a suggestion.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..catalog.schema import Text
from ..errors import TianpingError
from ..yamlio import load_yaml_file, validation_problems

HERE = Path(__file__).parent
ISO_FILE = HERE / "data" / "iso3166.json"
JURISDICTIONS_FILE = HERE / "jurisdictions.yaml"
# common non-ISO spellings, used only to suggest the right code (never accepted silently)
ALIASES = {"UK": "GB", "EL": "GR", "KO": "XK", "EUROPE": "EU", "USA": "US", "PRC": "CN", "KOREA": "KR"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Group(_Strict):
    title: Text
    members: list[str] = Field(min_length=1)
    deployment: bool = Field(default=False, description="May be given as a deployment code in a profile.")
    as_of: dt.date
    verified: bool = True
    note: str | None = None


class KnownLaw(_Strict):
    instrument: str | None = Field(default=None, description="The catalog instrument id, once the catalog holds the law.")
    title: Text
    status: str
    in_force: dt.date | None = None
    adopted: dt.date | None = None
    verified: bool = True


class JurisdictionData(_Strict):
    groups: dict[str, Group]
    instrument_reach: dict[str, list[str]] = Field(default_factory=dict)
    global_scopes: list[str] = Field(default_factory=list)
    known_laws: dict[str, list[KnownLaw]] = Field(default_factory=dict)


@lru_cache(maxsize=1)
def iso() -> dict:
    return json.loads(ISO_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def data() -> JurisdictionData:
    doc = load_yaml_file(JURISDICTIONS_FILE)
    try:
        d = JurisdictionData.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid jurisdiction data") from None
    countries = iso()["countries"]
    bad = [(g, m) for g, grp in d.groups.items() for m in grp.members if m not in countries]
    if bad:
        raise TianpingError(
            f"{JURISDICTIONS_FILE}: group members that are not ISO 3166-1 codes: {bad}", title="invalid jurisdiction data"
        )
    return d


@lru_cache(maxsize=1)
def valid_codes() -> frozenset[str]:
    """Every code a profile may use as a deployment jurisdiction."""
    i = iso()
    return frozenset(i["countries"]) | frozenset(i["subdivisions"]) | {g for g, grp in data().groups.items() if grp.deployment}


def suggestion(raw: str, candidates, *, names: dict[str, str] | None = None) -> str:
    """' (did you mean 'X'?)' from close matches, or ''."""
    word = raw.strip()
    hits: list[str] = []
    if word.upper() in ALIASES:
        hits.append(ALIASES[word.upper()])
    if names:
        low = word.lower()
        hits += [c for c, n in names.items() if n.lower() == low]
    hits += difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    low = word.lower()
    hits += [c for c in candidates if len(low) >= 2 and (c.lower().startswith(low + "_") or c.lower().startswith(low + "-"))][:2]
    if names and not hits:
        by_name = {n.lower(): c for c, n in names.items()}
        hits += [by_name[n] for n in difflib.get_close_matches(word.lower(), list(by_name), n=2, cutoff=0.75)]
    seen: list[str] = []
    for h in hits:
        if h not in seen:
            seen.append(h)
    if not seen:
        return ""
    return " (did you mean " + " or ".join(f"'{h}'" for h in seen[:3]) + "?)"


def normalise(raw: str) -> str:
    """The canonical code for a jurisdiction given in any case; ValueError with a suggestion when unknown."""
    if not isinstance(raw, str):
        raise ValueError("a jurisdiction code must be a string")
    code = raw.strip().upper()
    if code in valid_codes():
        return code
    i = iso()
    if "-" in code:
        country = code.split("-", 1)[0]
        cands = [s for s in i["subdivisions"] if s.startswith(country + "-")] or list(i["countries"])
        raise ValueError(f"unknown jurisdiction code '{raw}': not an ISO 3166-2 subdivision{suggestion(code, cands)}")
    cands = list(i["countries"]) + [g for g, grp in data().groups.items() if grp.deployment]
    raise ValueError(
        f"unknown jurisdiction code '{raw}': use an ISO 3166-1 alpha-2 code (e.g. GB, US), an ISO 3166-2 "
        f"code (e.g. US-CO) or a group (EU, ASEAN, COE){suggestion(code, cands, names=i['countries'])}"
    )


def normalise_country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 country code (case-insensitive)."""
    code = raw.strip().upper() if isinstance(raw, str) else raw
    countries = iso()["countries"]
    if code in countries:
        return code
    raise ValueError(
        f"unknown country code '{raw}': use an ISO 3166-1 alpha-2 code{suggestion(str(code), countries, names=countries)}"
    )


def name(code: str) -> str:
    i = iso()
    if code in i["countries"]:
        return i["countries"][code]
    if code in i["subdivisions"]:
        sub, _kind = i["subdivisions"][code]
        return f"{sub} ({i['countries'].get(code.split('-', 1)[0], code)})"
    g = data().groups.get(code)
    return g.title.en if g else code


def kind(code: str) -> str:
    i = iso()
    if code in i["countries"]:
        return "country"
    if code in i["subdivisions"]:
        return "subdivision"
    return "group" if code in data().groups else "unknown"


def groups_of(code: str) -> list[str]:
    """The groups a country (or a subdivision's country) belongs to."""
    country = code.split("-", 1)[0]
    return [g for g, grp in data().groups.items() if country in grp.members]


def members(code: str) -> set[str]:
    g = data().groups.get(code)
    return set(g.members) if g else {code}
