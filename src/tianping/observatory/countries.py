"""Countries and dated groupings, read from data files beside this module.

Groupings are data with dates because membership changes (Timor-Leste joined ASEAN in 2025,
BRICS grew in 2024, the UK left the EU in 2020): a comparison "as of" a year must use the
members of that year, not today's. UN regions and UN membership are derived from the M49 codes
in countries.csv, so the two cannot disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import Problem, ProblemList, TianpingError
from ..yamlio import load_yaml_file, validation_problems

DATA = Path(__file__).parent / "data"

M49_NAMES: dict[str, tuple[str, str, str]] = {  # code -> (slug, en, zh)
    "002": ("africa", "Africa", "非洲"),
    "019": ("americas", "Americas", "美洲"),
    "142": ("asia", "Asia", "亚洲"),
    "150": ("europe", "Europe", "欧洲"),
    "009": ("oceania", "Oceania", "大洋洲"),
    "015": ("northern-africa", "Northern Africa", "北非"),
    "014": ("eastern-africa", "Eastern Africa", "东非"),
    "017": ("middle-africa", "Middle Africa", "中部非洲"),
    "018": ("southern-africa", "Southern Africa", "南部非洲"),
    "011": ("western-africa", "Western Africa", "西非"),
    "029": ("caribbean", "Caribbean", "加勒比"),
    "013": ("central-america", "Central America", "中美洲"),
    "005": ("south-america", "South America", "南美洲"),
    "021": ("northern-america", "Northern America", "北美洲"),
    "143": ("central-asia", "Central Asia", "中亚"),
    "030": ("eastern-asia", "Eastern Asia", "东亚"),
    "035": ("south-eastern-asia", "South-eastern Asia", "东南亚"),
    "034": ("southern-asia", "Southern Asia", "南亚"),
    "145": ("western-asia", "Western Asia", "西亚"),
    "151": ("eastern-europe", "Eastern Europe", "东欧"),
    "154": ("northern-europe", "Northern Europe", "北欧"),
    "039": ("southern-europe", "Southern Europe", "南欧"),
    "155": ("western-europe", "Western Europe", "西欧"),
    "053": ("australia-new-zealand", "Australia and New Zealand", "澳大利亚和新西兰"),
    "054": ("melanesia", "Melanesia", "美拉尼西亚"),
    "057": ("micronesia", "Micronesia", "密克罗尼西亚"),
    "061": ("polynesia", "Polynesia", "波利尼西亚"),
}


@dataclass(frozen=True)
class Country:
    iso3: str
    iso2: str
    numeric: str
    name_en: str
    name_zh: str
    m49_region: str
    m49_subregion: str
    un_member: bool
    iso3166: bool

    def name(self, lang: str) -> str:
        from ..i18n import lang_text

        return lang_text(self.names(), lang)

    def names(self) -> dict[str, str]:
        """The name in every language of the catalogs: English and Chinese from the data, the others from CLDR."""
        from ..i18n import territory_names

        return territory_names(self.iso2, en=self.name_en, zh=self.name_zh)


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """All countries and areas by ISO alpha-3 code."""
    with open(DATA / "countries.csv", encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {
            r["iso3"]: Country(
                r["iso3"],
                r["iso2"],
                r["numeric"],
                r["name_en"],
                r["name_zh"],
                r["m49_region"],
                r["m49_subregion"],
                r["un_member"] == "1",
                r["iso3166"] == "1",
            )
            for r in rows
        }


# Names other sources use (World Bank WDI, UN) that differ from our short English names.
ALIASES = {
    "viet nam": "VNM",
    "korea, rep.": "KOR",
    "republic of korea": "KOR",
    "korea, dem. people's rep.": "PRK",
    "russian federation": "RUS",
    "iran, islamic rep.": "IRN",
    "egypt, arab rep.": "EGY",
    "turkiye": "TUR",
    "türkiye": "TUR",
    "lao pdr": "LAO",
    "lao people's democratic republic": "LAO",
    "united states of america": "USA",
    "hong kong sar, china": "HKG",
    "macao sar, china": "MAC",
    "congo, dem. rep.": "COD",
    "congo, rep.": "COG",
    "yemen, rep.": "YEM",
    "venezuela, rb": "VEN",
    "gambia, the": "GMB",
    "bahamas, the": "BHS",
    "slovak republic": "SVK",
    "kyrgyz republic": "KGZ",
    "brunei darussalam": "BRN",
    "west bank and gaza": "PSE",
    "cote d'ivoire": "CIV",
    "czechia": "CZE",
    "micronesia, fed. sts.": "FSM",
    "st. lucia": "LCA",
    "st. kitts and nevis": "KNA",
    "st. vincent and the grenadines": "VCT",
    "east timor": "TLS",
    "timor leste": "TLS",
    "burma": "MMR",
}


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    out: dict[str, str] = dict(ALIASES)
    for c in countries().values():
        for key in (c.iso3, c.iso2, c.numeric, c.name_en, c.name_zh):
            if key:
                out.setdefault(key.casefold(), c.iso3)
    return out


def resolve_country(text: str) -> str | None:
    """ISO3 for an alpha-3, alpha-2 or numeric code or an English/Chinese name; None if unknown."""
    return _lookup().get(text.strip().casefold()) if text else None


def country_name(iso3: str, lang: str = "en") -> str:
    c = countries().get(iso3)
    return c.name(lang) if c else iso3


def require_country(text: str) -> str:
    iso3 = resolve_country(text)
    if iso3 is None:
        raise TianpingError(
            Problem(f"unknown country '{text}' (use an ISO 3166 code such as SGP or SG, or a name)", field="country"),
            title="unknown country",
        )
    return iso3


# ----------------------------------------------------------------------------- groupings
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Title(BaseModel):
    """A name in English and Chinese; any other language may be added under its code (`th: …`)."""

    model_config = ConfigDict(extra="allow")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    @model_validator(mode="after")
    def _texts(self) -> Title:
        from ..i18n import check_language_texts

        check_language_texts(self.model_extra)
        return self


class Membership(_Strict):
    country: str = Field(pattern=r"^[A-Z]{3}$")
    since: dt.date | None = None
    until: dt.date | None = None  # first day the country is no longer a member
    verified: bool | None = None  # None: as the group
    note: str | None = None

    def active(self, on: dt.date) -> bool:
        return (self.since is None or self.since <= on) and (self.until is None or on < self.until)


class OrgMembership(_Strict):
    id: str
    since: dt.date | None = None


class Group(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Title
    kind: str
    source_url: str | None = None
    verified: bool = False
    verification_note: str | None = None
    members: list[Membership] = Field(default_factory=list)
    organisations: list[OrgMembership] = Field(default_factory=list)
    # compact form for snapshot classifications (income groups): one date for every country
    members_since: dt.date | None = None
    countries: list[str] = Field(default_factory=list)

    def memberships(self) -> list[Membership]:
        return self.members + [Membership(country=c, since=self.members_since) for c in self.countries]

    def members_on(self, on: dt.date | None = None) -> list[str]:
        on = on or dt.date.today()
        return sorted({m.country for m in self.memberships() if m.active(on)})

    def all_members(self) -> list[str]:
        return sorted({m.country for m in self.memberships()})

    def membership(self, iso3: str) -> Membership | None:
        return next((m for m in self.memberships() if m.country == iso3), None)


class GroupFile(_Strict):
    groups: list[Group]


def _derived_groups() -> list[Group]:
    """UN membership and M49 regions/sub-regions, derived from countries.csv."""
    cs = countries().values()
    from ..i18n import territory_names, texts

    out = [
        Group(
            id="un",
            title=Title(**texts("obs.group.un_members")),
            kind="un",
            verified=True,
            source_url="https://www.un.org/en/about-us/member-states",
            verification_note="193 members, cross-checked in tests against a reference list. Admission dates are "
            "not recorded except South Sudan (14 July 2011, the latest).",
            members=[
                Membership(country=c.iso3, since=dt.date(2011, 7, 14) if c.iso3 == "SSD" else None) for c in cs if c.un_member
            ],
        )
    ]
    for code, (slug, en, zh) in M49_NAMES.items():
        members = [Membership(country=c.iso3) for c in cs if code in (c.m49_region, c.m49_subregion)]
        region = territory_names(code, en=en, zh=zh)  # the UN's names in English and Chinese, CLDR's in the others
        out.append(
            Group(
                id=f"un-{slug}",
                title=Title(**texts("obs.group.un_m49", region=region)),
                kind="un-region",
                verified=True,
                source_url="https://unstats.un.org/unsd/methodology/m49/",
                verification_note="M49 codes per country recalled and cross-checked in tests against a reference table.",
                members=members,
            )
        )
    return out


def load_groups(*extra: str | Path) -> dict[str, Group]:
    """The bundled groupings plus the derived UN ones, then any extra files (later ids replace earlier)."""
    groups: dict[str, Group] = {}
    problems = ProblemList()
    known = countries()
    for path in (DATA / "groupings.yaml", *extra):
        doc = load_yaml_file(path)
        try:
            gf = GroupFile.model_validate(doc.data)
        except ValidationError as exc:
            raise TianpingError(validation_problems(exc, doc), title="invalid groupings file") from None
        for i, g in enumerate(gf.groups):
            for j, m in enumerate(g.members):
                if m.country not in known:
                    problems.add(
                        f"unknown country '{m.country}'",
                        file=str(path),
                        line=doc.line_of(("groups", i, "members", j)),
                        field=f"groups.{i}.members.{j}.country",
                    )
            for j, c in enumerate(g.countries):
                if c not in known:
                    problems.add(
                        f"unknown country '{c}'",
                        file=str(path),
                        line=doc.line_of(("groups", i, "countries", j)),
                        field=f"groups.{i}.countries.{j}",
                    )
            groups[g.id] = g
    problems.raise_if_any("invalid groupings file")
    for g in _derived_groups():
        groups.setdefault(g.id, g)
    return groups


@lru_cache(maxsize=1)
def default_groups() -> dict[str, Group]:
    return load_groups()


def group(group_id: str) -> Group:
    gs = default_groups()
    if group_id not in gs:
        raise TianpingError(
            Problem(f"unknown group '{group_id}' (known: {', '.join(sorted(gs))})", field="group"), title="unknown group"
        )
    return gs[group_id]


def groups_of(iso3: str, on: dt.date | None = None) -> list[str]:
    on = on or dt.date.today()
    return [g.id for g in default_groups().values() if iso3 in g.members_on(on)]
