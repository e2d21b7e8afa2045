"""Schema of the catalog data files (pydantic v2; exported as JSON Schema).

A catalog is:
- one YAML file per instrument (`data/instruments/<id>.yaml`) holding its provisions;
- `data/principles.yaml`, the shared principle vocabulary;
- `data/mappings/*.yaml`, SSSOM-style mappings between provisions and/or principles.

Provision ids are local to their instrument in the files; everywhere else a provision is named
by its qualified id `<instrument-id>:<local-id>` and a principle by `principle:<id>`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .vocab import PRINCIPLE_PREFIX, Predicate, is_principle, qualified, split_qualified  # noqa: F401  (re-exported)

SLUG = r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$"
LOCAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._()\-]*$"
QUALIFIED_ID = r"^[a-z0-9][a-z0-9.\-]*:[A-Za-z0-9][A-Za-z0-9._()\-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


#: a language key of a Text: a BCP 47 tag of lowercase primary language and optional subtags (e.g. km, pt-BR)
LANG_KEY = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Text(Strict):
    """A text a person reads, in Chinese and English; any other language may be added under its BCP 47
    tag (e.g. the official-language title: `vi`, `ms`, `id`, `th`, `km`, `pt-BR`). `get` falls back
    from a regional tag to its language, then to English."""

    model_config = ConfigDict(
        extra="allow",
        str_strip_whitespace=True,
        json_schema_extra={
            "patternProperties": {LANG_KEY.pattern: {"type": "string", "minLength": 1}},
            "additionalProperties": False,
        },
    )

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    ms: str | None = None
    id: str | None = None
    th: str | None = None
    vi: str | None = None
    fil: str | None = None
    ko: str | None = None
    ja: str | None = None
    it: str | None = None

    @model_validator(mode="after")
    def _other_languages(self) -> Text:
        extra = self.model_extra or {}  # None only if extras were not allowed: nothing to check then
        for key, value in list(extra.items()):
            if not LANG_KEY.match(key):
                raise ValueError(f"'{key}' is not a language tag (BCP 47, e.g. vi, ms, th, pt-BR)")
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"the '{key}' text must be a non-empty string")
            extra[key] = value.strip()
        return self

    def languages(self) -> list[str]:
        """The language keys given (en and zh first)."""
        return [k for k, v in self.model_dump(exclude_none=True).items() if v]

    def get(self, lang: str) -> str:
        texts = self.model_dump(exclude_none=True)
        for key in (lang, lang.split("-", 1)[0], "en"):
            if texts.get(key):
                if key == "en" and lang != "en":  # the English text's translation in the data catalog (i18n_data.py)
                    from ..i18n_data import data_text

                    return data_text(self.en, lang.split("-", 1)[0]) or texts[key]
                return texts[key]
        return self.en


class InstrumentKind(str, Enum):
    binding_law = "binding_law"
    standard = "standard"
    soft_law = "soft_law"
    declaration = "declaration"
    taxonomy = "taxonomy"


class ProvisionKind(str, Enum):
    # containers: they group other provisions and state nothing of their own
    part = "part"
    chapter = "chapter"
    section = "section"
    annex = "annex"
    annex_section = "annex_section"
    group = "group"
    # units that state a requirement, risk, principle or action
    article = "article"
    paragraph = "paragraph"
    point = "point"
    annex_point = "annex_point"
    function = "function"
    category = "category"
    subcategory = "subcategory"
    objective = "objective"
    control = "control"
    principle = "principle"
    value = "value"
    recommendation = "recommendation"
    policy_area = "policy_area"
    dimension = "dimension"
    characteristic = "characteristic"
    component = "component"
    risk_category = "risk_category"
    risk = "risk"
    requirement = "requirement"
    measure = "measure"
    countermeasure = "countermeasure"
    action = "action"
    vision = "vision"
    check = "check"
    domain = "domain"
    subdomain = "subdomain"
    item = "item"


CONTAINER_KINDS = frozenset(
    {
        ProvisionKind.part,
        ProvisionKind.chapter,
        ProvisionKind.section,
        ProvisionKind.annex,
        ProvisionKind.annex_section,
        ProvisionKind.group,
    }
)


class Justification(str, Enum):
    """SEMAPV mapping justifications used by the catalog."""

    manual = "semapv:ManualMappingCuration"
    lexical = "semapv:LexicalMatching"
    unspecified = "semapv:UnspecifiedMatching"
    imported = "semapv:MappingReview"


class Dates(Strict):
    adopted: dt.date | None = None
    published: dt.date | None = None
    entry_into_force: dt.date | None = None
    applies_from: dt.date | None = None
    revised: dt.date | None = None
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Where each date was read, keyed by the date's field name (e.g. {entry_into_force: 'CAC, 2 Jan 2026'}).",
    )

    @model_validator(mode="after")
    def _sources_name_dates(self) -> Dates:
        unknown = set(self.sources) - {"adopted", "published", "entry_into_force", "applies_from", "revised"}
        if unknown:
            raise ValueError(f"sources names unknown date fields: {sorted(unknown)}")
        missing = [k for k in self.sources if getattr(self, k) is None]
        if missing:
            raise ValueError(f"sources given for dates that are not set: {missing}")
        return self


class InstrumentStatus(str, Enum):
    """Where an instrument (in particular an amending act) stands in its procedure."""

    proposed = "proposed"
    adopted = "adopted"
    published = "published"
    in_force = "in_force"


STATUS_RANK = {
    InstrumentStatus.proposed: 0,
    InstrumentStatus.adopted: 1,
    InstrumentStatus.published: 2,
    InstrumentStatus.in_force: 3,
}


class Milestone(Strict):
    """One dated step of an instrument's procedure, with where the date comes from."""

    event: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="e.g. proposed, political_agreement, parliament_vote, council_adoption, signed, published, entry_into_force.",
    )
    status: InstrumentStatus | None = Field(
        default=None, description="The status the instrument reaches with this step (none for intermediate steps)."
    )
    date: dt.date | None = Field(default=None, description="None when the step is expected but its date is not known.")
    reference: str | None = Field(default=None, description="e.g. 'COM(2025) 836' or 'OJ L, 2026/1744, 24.7.2026'.")
    source: str = Field(min_length=3, description="Where the date was read (official source or named secondary sources).")
    verified: bool = True
    verification_note: str | None = None


class AmendmentChange(Strict):
    """One change an amending act makes to the instrument it amends (the project's own words)."""

    id: str = Field(pattern=SLUG)
    provisions: list[str] = Field(
        default_factory=list, description="Qualified ids of the amended provisions, where they are in the catalog."
    )
    summary: Text
    dates: dict[str, dt.date] = Field(
        default_factory=dict, description="Dates set by the change, e.g. {from: 2026-08-02, to: 2027-12-02}."
    )
    verified: bool = True
    verification_note: str | None = None


class AmendingAct(Strict):
    """Present on an instrument that amends others: what it amends, its procedure and its changes."""

    amends: list[str] = Field(min_length=1, description="Ids of the catalog instruments it amends.")
    milestones: list[Milestone] = Field(min_length=1)
    changes: list[AmendmentChange] = Field(default_factory=list)

    def status_on(self, day: dt.date | None) -> InstrumentStatus | None:
        """The most advanced status reached on `day` (None: the latest recorded), or None before any."""
        best: InstrumentStatus | None = None
        for m in self.milestones:
            if m.status is None:
                continue
            if day is not None and (m.date is None or m.date > day):
                continue
            if best is None or STATUS_RANK[m.status] > STATUS_RANK[best]:
                best = m.status
        return best

    def date_of(self, status: InstrumentStatus) -> Milestone | None:
        return next((m for m in self.milestones if m.status == status), None)


class InstrumentVersion(Strict):
    """A dated version (edition, consolidated text) of an instrument."""

    id: str = Field(pattern=SLUG)
    label: str = Field(min_length=1)
    valid_from: dt.date
    amended_by: list[str] = Field(default_factory=list, description="Amending acts (catalog ids) consolidated into this version.")
    source_url: str | None = Field(default=None, pattern=r"^https?://")
    verified: bool = True
    verification_note: str | None = None


class Relation(Strict):
    """How *this* instrument relates to the instrument `id`: "successor" = this one succeeds `id`;
    "supersedes" = this one replaces `id` (which then stops being the current text); "*_by" the reverse."""

    id: str = Field(pattern=SLUG)
    relation: Literal[
        "successor",
        "predecessor",
        "implements",
        "implemented_by",
        "companion",
        "amends",
        "amended_by",
        "supersedes",
        "superseded_by",
    ]
    note: str | None = None


# default confidence of an inline provision->principle mapping, by predicate (broad: by position)
GRADED_CONFIDENCE = {"exact": 0.95, "close": 0.85, "related": 0.5, "narrow": 0.7}


class PrincipleRef(Strict):
    """A provision's mapping to a shared principle, written inline in the instrument file."""

    id: str = Field(pattern=SLUG)
    predicate: Predicate = Predicate.broad
    comment: str | None = None
    confidence: float = Field(default=0.9, ge=0, le=1)


FactValue = bool | int | float | str | dt.date | list[int | float | str]


class Provision(Strict):
    id: str = Field(pattern=LOCAL_ID)
    parent: str | None = Field(default=None, pattern=LOCAL_ID)
    kind: ProvisionKind
    number: str | None = Field(default=None, description="The official numbering as printed, e.g. 'Article 15' or 'GOVERN 1.1'.")
    title: Text
    summary: Text | None = Field(default=None, description="The project's own wording; never copied prose.")
    tags: list[str] = Field(default_factory=list)
    principles: list[Annotated[str, Field(pattern=SLUG)] | PrincipleRef] = Field(default_factory=list)
    facts: dict[str, FactValue] = Field(
        default_factory=dict, description="Machine-readable numbers and dates stated by this provision."
    )
    applies_from: dt.date | None = None
    verified: bool = True
    verification_note: str | None = None

    @field_validator("principles", mode="before")
    @classmethod
    def _normalise_principles(cls, v: object) -> object:
        """Grade mappings whose confidence the curator did not state: the principle listed first is
        the provision's main one, later ones secondary; `related` is weaker, `close`/`exact` stronger.

        Done on the input (a bare id becomes a mapping with its graded confidence) so that each entry is
        validated once, as a PrincipleRef, instead of validated, rebuilt and re-assigned (~1,200 entries in
        the bundled catalog)."""
        if not isinstance(v, list):
            return v  # not a list: the field's own validation reports it
        out: list[object] = []
        for i, p in enumerate(v):
            if isinstance(p, str):
                p = {"id": p}
            if isinstance(p, dict) and "confidence" not in p:
                pred = p.get("predicate", Predicate.broad)
                pred = pred.value if isinstance(pred, Predicate) else pred
                p = {**p, "confidence": GRADED_CONFIDENCE.get(pred, 0.85 if i == 0 else 0.7) if isinstance(pred, str) else 0.9}
            elif isinstance(p, PrincipleRef) and "confidence" not in p.model_fields_set:
                p = p.model_copy(update={"confidence": GRADED_CONFIDENCE.get(p.predicate.value, 0.85 if i == 0 else 0.7)})
            out.append(p)
        return out

    @property
    def principle_refs(self) -> list[PrincipleRef]:
        """The principle mappings as `_normalise_principles` left them: every entry a PrincipleRef."""
        # the field is declared with its input type (a bare id is allowed in the file, and the exported
        # JSON schema says so); after validation it holds only PrincipleRef
        return cast(list[PrincipleRef], self.principles)

    @model_validator(mode="after")
    def _summary_for_requirements(self) -> Provision:
        if self.kind not in CONTAINER_KINDS and self.summary is None:
            raise ValueError(f"a provision of kind '{self.kind.value}' needs a summary (zh and en, in the project's own words)")
        if self.parent == self.id:
            raise ValueError("a provision cannot be its own parent")
        return self

    @property
    def is_container(self) -> bool:
        return self.kind in CONTAINER_KINDS


class Instrument(Strict):
    id: str = Field(pattern=SLUG)
    title: Text
    short_title: Text | None = None
    issuer: Text
    jurisdiction: str = Field(
        pattern=r"^([A-Z]{2}(-[A-Z0-9]{1,3})?|EU|ASEAN|COE|G7|G20|UN|OECD|UNESCO|INTL)$",
        description="ISO 3166-1 alpha-2 code, an ISO 3166-2 subdivision code (e.g. US-CO; US-NY for "
        "New York City), or a regional/international scope (COE: Council of Europe).",
    )
    kind: InstrumentKind
    version: str | None = None
    status: InstrumentStatus | None = Field(
        default=None, description="Procedure status (mainly for amending acts and drafts); none means in force or not applicable."
    )
    versions: list[InstrumentVersion] = Field(
        default_factory=list, description="Dated versions; amending acts in the catalog add theirs automatically."
    )
    amendment: AmendingAct | None = Field(default=None, description="Set when this instrument amends other instruments.")
    dates: Dates = Field(default_factory=Dates)
    source_url: str = Field(pattern=r"^https?://")
    languages: list[str] = Field(min_length=1, description="Languages of the official text (BCP 47).")
    summary: Text
    tags: list[str] = Field(default_factory=list)
    related: list[Relation] = Field(default_factory=list)
    facts: dict[str, FactValue] = Field(
        default_factory=dict, description="Machine-readable facts about the instrument as a whole."
    )
    licence_note: str | None = None
    verified: bool = True
    verification_note: str | None = None
    provisions: list[Provision] = Field(default_factory=list)


class Principle(Strict):
    id: str = Field(pattern=SLUG)
    title: Text
    description: Text
    keywords: list[str] = Field(default_factory=list, description="Extra search terms in any language.")


class PrincipleFile(Strict):
    principles: list[Principle] = Field(min_length=1)


class Mapping(Strict):
    """One SSSOM-style mapping. Subjects and objects are qualified provision ids or `principle:<id>`."""

    subject: str = Field(pattern=QUALIFIED_ID)
    predicate: Predicate
    object: str = Field(pattern=QUALIFIED_ID)
    justification: Justification = Justification.manual
    confidence: float = Field(default=0.8, ge=0, le=1)
    comment: str = Field(min_length=10, description="Why these correspond, in the project's own words.")
    comment_zh: str | None = Field(default=None, description="The same justification in Chinese.")
    author: str | None = None

    @model_validator(mode="after")
    def _not_self(self) -> Mapping:
        if self.subject == self.object:
            raise ValueError("a mapping cannot map an id to itself")
        return self


class MappingFile(Strict):
    mapping_set_id: str = Field(pattern=SLUG)
    description: str | None = None
    mappings: list[Mapping] = Field(min_length=1)
