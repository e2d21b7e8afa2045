"""The AISystem profile (pydantic v2; YAML/JSON in, JSON out).

Every field that a rule may read is optional: `None` means "not answered", which the rule
engine treats as unknown (never as "no"), so a missing answer yields `undetermined` plus the
question that would decide it.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from pydantic_core import InitErrorDetails


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class Role(str, Enum):
    provider = "provider"
    developer = (
        "developer"  # US state laws (Colorado, California), Korea, Viet Nam: develops or substantially modifies the system
    )
    deployer = "deployer"
    importer = "importer"
    distributor = "distributor"
    authorised_representative = "authorised_representative"
    product_manufacturer = "product_manufacturer"
    technical_supporter = "technical_supporter"  # China: 技术支持者 (deep synthesis)
    service_provider = "service_provider"  # China: 服务提供者 (generative AI / algorithm services)


class ModelKind(str, Enum):
    classifier = "classifier"
    regressor = "regressor"
    recommender = "recommender"
    ranking_selection = "ranking_selection"
    search_filtering = "search_filtering"
    dispatch_decision = "dispatch_decision"
    generative_text = "generative_text"
    generative_image = "generative_image"
    generative_audio = "generative_audio"
    generative_video = "generative_video"
    deep_synthesis = "deep_synthesis"
    biometric_identification = "biometric_identification"
    biometric_categorisation = "biometric_categorisation"
    emotion_recognition = "emotion_recognition"
    general_purpose_model = "general_purpose_model"


class DataCategory(str, Enum):
    personal = "personal"
    sensitive_personal = "sensitive_personal"
    biometric = "biometric"
    minors = "minors"
    important_data = "important_data"


class Autonomy(str, Enum):
    human_in_the_loop = "human_in_the_loop"
    human_over_the_loop = "human_over_the_loop"
    human_out_of_the_loop = "human_out_of_the_loop"


class Lifecycle(str, Enum):
    design = "design"
    development = "development"
    testing = "testing"
    deployed = "deployed"
    retired = "retired"


class Level(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class RbiObjective(str, Enum):
    """EU AI Act Art. 5(1)(h)(i)-(iii): the objectives for which real-time remote biometric identification
    in public spaces for law enforcement may be used."""

    victim_search = "victim_search"  # (i) targeted search for specific victims or missing persons
    threat_prevention = "threat_prevention"  # (ii) specific, substantial, imminent threat to life; terrorist attack
    suspect_localisation = "suspect_localisation"  # (iii) locating or identifying a suspect of an Annex II offence
    none = "none"


class RbiAuthorisation(str, Enum):
    """EU AI Act Art. 5(3): prior authorisation by a judicial or independent administrative authority."""

    prior = "prior"
    urgency_requested_24h = "urgency_requested_24h"  # duly justified urgency, requested within 24 hours
    none = "none"


class EmotionRecognitionReason(str, Enum):
    """EU AI Act Art. 5(1)(f): the ban does not cover systems intended for medical or safety reasons."""

    medical = "medical"
    safety = "safety"
    other = "other"


def _code_error(msg: str) -> PydanticCustomError:
    return PydanticCustomError("unknown_code", msg)


def _with_suggestions(exc: ValidationError) -> ValidationError:
    """The same errors, with a 'did you mean' added to every unknown enumerated code (roles, model
    kinds, data categories…). Enums are validated natively (fast); this runs only on failure."""
    from ..rules.jurisdictions import suggestion

    line_errors: list[InitErrorDetails] = []
    changed = False
    for e in exc.errors():
        if e["type"] == "enum":
            allowed = re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", "")))
            msg = f"unknown code '{e['input']}' (allowed: {', '.join(allowed)}){suggestion(str(e['input']), allowed)}"
            line_errors.append({"type": PydanticCustomError("unknown_code", msg), "loc": e["loc"], "input": e["input"]})
            changed = True
        else:
            line_errors.append(
                {
                    "type": PydanticCustomError(e["type"], e["msg"].replace("{", "{{").replace("}", "}}")),
                    "loc": e["loc"],
                    "input": e.get("input"),
                }
            )
    if not changed:
        return exc
    return ValidationError.from_exception_data(exc.title, line_errors)


def _vocab(kind: str):
    codes: list[frozenset] = []  # filled on first use (the vocabulary is data, loaded lazily)

    def check(v: str) -> str:
        if not codes:
            from ..rules.vocabulary import code_set

            codes.append(code_set(kind))
        if v in codes[0]:
            return v
        from ..rules.vocabulary import check_code

        try:
            return check_code(kind, v)
        except ValueError as exc:
            raise _code_error(str(exc)) from None

    return AfterValidator(check)


_VALID: list[frozenset] = []


def _jurisdiction(v: str) -> str:
    if not _VALID:
        from ..rules.jurisdictions import valid_codes

        _VALID.append(valid_codes())
    if v in _VALID[0]:
        return v
    from ..rules.jurisdictions import normalise

    try:
        return normalise(v)
    except ValueError as exc:
        raise _code_error(str(exc)) from None


def _country(v: str) -> str:
    from ..rules.jurisdictions import normalise_country

    try:
        return normalise_country(v)
    except ValueError as exc:
        raise _code_error(str(exc)) from None


def _transfer_party(v: str) -> str:
    code = _jurisdiction(v)
    if code != "EU" and "-" not in code and len(code) != 2:
        raise _code_error(f"'{v}': a transfer's origin or destination is a country (ISO 3166-1) or EU")
    return code.split("-", 1)[0] if "-" in code else code


JurisdictionCode = Annotated[str, AfterValidator(_jurisdiction)]
CountryCode = Annotated[str, AfterValidator(_country)]
TransferParty = Annotated[str, AfterValidator(_transfer_party)]
UseCaseCode = Annotated[str, _vocab("use_cases")]
SectorCode = Annotated[str, _vocab("sectors")]
TransferPurpose = Annotated[str, _vocab("transfer_purposes")]
RoleCode = Role
ModelKindCode = ModelKind
DataCategoryCode = DataCategory
AutonomyCode = Autonomy
LifecycleCode = Lifecycle
LevelCode = Level
RbiObjectiveCode = RbiObjective
RbiAuthorisationCode = RbiAuthorisation
EmotionReasonCode = EmotionRecognitionReason


class Organisation(Strict):
    name: str = Field(min_length=1)
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2 of the seat (case-insensitive).")
    sme: bool | None = Field(default=None, description="Small or medium-sized enterprise (incl. start-up).")
    public_authority: bool | None = None
    ciio: bool | None = Field(default=None, description="China: critical information infrastructure operator.")


class DataHolding(Strict):
    category: DataCategoryCode
    persons: int | None = Field(default=None, ge=0, description="Number of natural persons whose data is processed.")


class CrossBorderTransfer(Strict):
    origin: TransferParty = Field(default="CN", description="Where the data was collected or generated (country or EU).")
    destination: TransferParty = Field(description="Where the data goes (country or EU).")
    categories: list[DataCategoryCode] = Field(min_length=1)
    persons: int | None = Field(
        default=None, ge=0, description="Persons whose personal information leaves, counted since 1 January of the year."
    )
    sensitive_persons: int | None = Field(default=None, ge=0)
    purpose: TransferPurpose | None = Field(
        default=None,
        description=(
            "Why this transfer happens (rules/vocabulary.yaml transfer_purposes); decides China's Art. 5 exemptions. Unanswered "
            "counts as not exempt."
        ),
    )


class AISystem(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]{1,62}[a-z0-9]$")
    name: str = Field(min_length=1)
    name_zh: str | None = None
    version: str | None = None
    organisation: Organisation
    roles: dict[JurisdictionCode, list[RoleCode]] = Field(
        default_factory=dict, description="Roles per jurisdiction, e.g. {EU: [provider], CN: [service_provider]}."
    )
    intended_purpose: str | None = None
    use_cases: list[UseCaseCode] | None = Field(
        default=None, description="Controlled use-case codes (see rules/vocabulary.yaml)."
    )
    sector: SectorCode | None = Field(default=None, description="Sector of use (rules/vocabulary.yaml sectors).")
    jurisdictions: list[JurisdictionCode] = Field(
        min_length=1,
        description=(
            "Where the system is placed on the market or used: ISO 3166-1 alpha-2 (GB), ISO 3166-2 (US-CO) or a "
            "group (EU, ASEAN, "
            "COE); case-insensitive."
        ),
    )
    model_kinds: list[ModelKindCode] | None = None
    foundation_model: str | None = None
    training_compute_flops: float | None = Field(default=None, ge=0)
    gpai_designated_systemic: bool | None = Field(
        default=None, description="EU: designated by the Commission as a GPAI model with systemic risk."
    )
    open_source: bool | None = None
    eu_business_users: int | None = Field(default=None, ge=0)
    public_facing: bool | None = None
    interacts_with_people: bool | None = None
    public_opinion_attributes: bool | None = Field(default=None, description="China: 具有舆论属性或者社会动员能力.")
    minors_users: bool | None = None
    data: list[DataHolding] | None = None
    cross_border_transfers: list[CrossBorderTransfer] | None = None
    autonomy: AutonomyCode | None = None
    harm_probability: LevelCode | None = None
    harm_severity: LevelCode | None = None
    profiling: bool | None = Field(default=None, description="Profiles natural persons (EU AI Act Art. 6(3) last subparagraph).")
    narrow_procedural_task: bool | None = Field(default=None, description="EU Art. 6(3)(a)-(d) derogation applies (documented).")
    annex_i_safety_component: bool | None = Field(
        default=None, description="Safety component of (or itself) a product under EU Annex I legislation."
    )
    annex_i_third_party_assessment: bool | None = Field(
        default=None, description="That product needs third-party conformity assessment."
    )
    rbi_objective: RbiObjectiveCode | None = Field(
        default=None,
        description=(
            "EU Art. 5(1)(h): the law-enforcement objective real-time remote biometric identification is strictly necessary for."
        ),
    )
    rbi_authorisation: RbiAuthorisationCode | None = Field(
        default=None,
        description=(
            "EU Art. 5(3): prior judicial/independent authorisation of each use (or, in urgency, requested within 24 hours)."
        ),
    )
    rbi_national_law_basis: bool | None = Field(
        default=None, description="EU Art. 5(5): national law of the Member State of use provides for this use."
    )
    emotion_recognition_reason: EmotionReasonCode | None = Field(
        default=None, description="EU Art. 5(1)(f): emotion recognition intended for medical or safety reasons."
    )
    intimate_content_safeguards: bool | None = Field(
        default=None,
        description=(
            "EU (Digital Omnibus): the provider has adequate safeguards against generating non-consensual "
            "intimate imagery or CSAM."
        ),
    )
    lifecycle: LifecycleCode | None = None
    placed_on_market: dt.date | None = Field(
        default=None,
        description="First placed on the market or put into service (EU transitional rules, e.g. the Art. 50(2) grace period).",
    )
    research_only: bool | None = None
    military_only: bool | None = None
    personal_non_professional: bool | None = None
    decision_substantial_factor: bool | None = Field(
        default=None,
        description=(
            "The system makes decisions about individual people, or is a substantial factor in making them "
            "(substantially assists "
            "or replaces human discretion), rather than a narrow procedural or preparatory aid (Colorado SB24-205 consequential "
            "decisions, NYC Local Law 144, Korea's high-impact judgments)."
        ),
    )
    employees_fte: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Full-time-equivalent employees of the organisation (Colorado: deployers with fewer than 50 that do not train the "
            "system with their own data are exempt from some duties)."
        ),
    )
    deployer_trains_with_own_data: bool | None = Field(
        default=None,
        description=(
            "The deployer uses its own data to train (or further train) the system (Colorado SB24-205 small-deployer exemption)."
        ),
    )
    annual_revenue_usd: float | None = Field(
        default=None,
        ge=0,
        description=(
            "Annual gross revenue of the organisation together with its affiliates in the preceding calendar year, in US dollars "
            "(California SB 53: large frontier developer above USD 500 million)."
        ),
    )
    representative_threshold_met: bool | None = Field(
        default=None,
        description=(
            "A business without an address or office in the country exceeds the user-number or revenue thresholds that oblige it "
            "to designate a domestic representative (Korea AI Basic Act Art. 36, thresholds set by decree)."
        ),
    )
    used_in_new_york_city: bool | None = Field(
        default=None,
        description=(
            "The tool is used to screen candidates or employees for jobs in New York City (NYC Local Law 144 is a city law)."
        ),
    )
    notes: str | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _suggest(cls, data: Any, handler: Any) -> AISystem:
        try:
            return handler(data)
        except ValidationError as exc:
            raise _with_suggestions(exc) from None

    @model_validator(mode="after")
    def _consistent(self) -> AISystem:
        problems = []
        for j in self.roles:
            if j not in self.jurisdictions:
                problems.append(f"roles are given for '{j}', which is not among jurisdictions {self.jurisdictions}")
        kinds = set(self.model_kinds or [])
        if (
            "general_purpose_model" not in kinds
            and self.training_compute_flops
            and self.training_compute_flops >= 1e25
            and self.gpai_designated_systemic
        ):
            problems.append("gpai_designated_systemic is true but model_kinds does not include general_purpose_model")
        if (
            self.harm_probability is None
            and self.harm_severity is not None
            or self.harm_probability is not None
            and self.harm_severity is None
        ):
            pass  # a half-answered harm matrix is allowed: the engine asks for the other half
        for t in self.cross_border_transfers or []:
            if t.sensitive_persons is not None and t.persons is not None and t.sensitive_persons > t.persons:
                problems.append("a cross-border transfer has more sensitive_persons than persons")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def rule_env(self) -> dict[str, Any]:
        """The plain-dict view that rule expressions read (`system.*`)."""
        return self.model_dump(mode="json", exclude_none=True)


@lru_cache(maxsize=1)
def field_labels() -> dict[str, dict[str, str]]:
    """Bilingual labels of the profile's top-level fields (registry/field_labels.yaml)."""
    from ..yamlio import load_yaml_file  # a bundled file: parsed once, then read from the parse cache

    return cast(dict[str, dict[str, str]], load_yaml_file(Path(__file__).with_name("field_labels.yaml")).data)


def field_label(field_id: str, lang: str = "en") -> str:
    """The label in `lang`: the YAML's own map (any language key), else the gettext catalogs
    (message `field.<id>`, tianping/locale), else English."""
    entry = field_labels().get(field_id)
    if not entry:
        return field_id
    if entry.get(lang):
        return entry[lang]
    from ..i18n import has_message, normalize_lang, t

    norm = normalize_lang(lang)
    if norm and entry.get(norm):
        return entry[norm]
    return t(f"field.{field_id}", norm) if norm and has_message(f"field.{field_id}", norm) else entry["en"]


def load_profile_file(path: str | Path) -> AISystem:
    """Parse and validate a YAML or JSON profile; errors name the file, line and field path."""
    from ..errors import Problem, TianpingError
    from ..yamlio import load_yaml_file, validation_problems

    doc = load_yaml_file(path)  # JSON is read by the YAML parser too, so lines are known
    if not isinstance(doc.data, dict):
        raise TianpingError(
            Problem("expected a mapping (an object) at the top of the profile", file=str(path), line=1), title="invalid profile"
        )
    try:
        return AISystem.model_validate(doc.data)
    except ValidationError as exc:
        problems = validation_problems(exc, doc)
        for p in problems:
            if p.field is None:  # model-level contradiction: point at the top of the document
                p.line = p.line or 1
        raise TianpingError(problems, title="invalid profile") from None
