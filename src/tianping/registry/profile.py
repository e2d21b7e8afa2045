"""The AISystem profile (pydantic v2; YAML/JSON in, JSON out).

Every field that a rule may read is optional: `None` means "not answered", which the rule
engine treats as unknown (never as "no"), so a missing answer yields `undetermined` plus the
question that would decide it.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class Role(str, Enum):
    provider = "provider"
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


class Organisation(Strict):
    name: str = Field(min_length=1)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 of the seat.")
    sme: bool | None = Field(default=None, description="Small or medium-sized enterprise (incl. start-up).")
    public_authority: bool | None = None
    ciio: bool | None = Field(default=None, description="China: critical information infrastructure operator.")


class DataHolding(Strict):
    category: DataCategory
    persons: int | None = Field(default=None, ge=0, description="Number of natural persons whose data is processed.")


class CrossBorderTransfer(Strict):
    origin: str = Field(default="CN", pattern=r"^([A-Z]{2}|EU)$")
    destination: str = Field(pattern=r"^([A-Z]{2}|EU)$")
    categories: list[DataCategory] = Field(min_length=1)
    persons: int | None = Field(default=None, ge=0, description="Persons whose personal information leaves, counted since 1 January of the year.")
    sensitive_persons: int | None = Field(default=None, ge=0)
    purpose: str | None = Field(default=None, description="e.g. hr_management, contract_performance, cross_border_shopping")


class AISystem(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]{1,62}[a-z0-9]$")
    name: str = Field(min_length=1)
    name_zh: str | None = None
    version: str | None = None
    organisation: Organisation
    roles: dict[str, list[Role]] = Field(default_factory=dict, description="Roles per jurisdiction, e.g. {EU: [provider], CN: [service_provider]}.")
    intended_purpose: str | None = None
    use_cases: list[str] | None = Field(default=None, description="Controlled use-case codes (see rules/vocabulary.yaml).")
    sector: str | None = None
    jurisdictions: list[str] = Field(min_length=1, description="Where the system is placed on the market or used: ISO 3166 alpha-2 codes, or EU.")
    model_kinds: list[ModelKind] | None = None
    foundation_model: str | None = None
    training_compute_flops: float | None = Field(default=None, ge=0)
    gpai_designated_systemic: bool | None = Field(default=None, description="EU: designated by the Commission as a GPAI model with systemic risk.")
    open_source: bool | None = None
    eu_business_users: int | None = Field(default=None, ge=0)
    public_facing: bool | None = None
    interacts_with_people: bool | None = None
    public_opinion_attributes: bool | None = Field(default=None, description="China: 具有舆论属性或者社会动员能力.")
    minors_users: bool | None = None
    data: list[DataHolding] | None = None
    cross_border_transfers: list[CrossBorderTransfer] | None = None
    autonomy: Autonomy | None = None
    harm_probability: Level | None = None
    harm_severity: Level | None = None
    profiling: bool | None = Field(default=None, description="Profiles natural persons (EU AI Act Art. 6(3) last subparagraph).")
    narrow_procedural_task: bool | None = Field(default=None, description="EU Art. 6(3)(a)-(d) derogation applies (documented).")
    annex_i_safety_component: bool | None = Field(default=None, description="Safety component of (or itself) a product under EU Annex I legislation.")
    annex_i_third_party_assessment: bool | None = Field(default=None, description="That product needs third-party conformity assessment.")
    lifecycle: Lifecycle | None = None
    placed_on_market: dt.date | None = None
    research_only: bool | None = None
    military_only: bool | None = None
    personal_non_professional: bool | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "AISystem":
        problems = []
        for j in self.roles:
            if j not in self.jurisdictions:
                problems.append(f"roles are given for '{j}', which is not among jurisdictions {self.jurisdictions}")
        kinds = set(self.model_kinds or [])
        if "general_purpose_model" not in kinds and self.training_compute_flops and self.training_compute_flops >= 1e25 and self.gpai_designated_systemic:
            problems.append("gpai_designated_systemic is true but model_kinds does not include general_purpose_model")
        if self.harm_probability is None and self.harm_severity is not None or self.harm_probability is not None and self.harm_severity is None:
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
    import yaml

    return yaml.safe_load((Path(__file__).with_name("field_labels.yaml")).read_text(encoding="utf-8"))


def field_label(field_id: str, lang: str = "en") -> str:
    entry = field_labels().get(field_id)
    return (entry.get(lang) or entry["en"]) if entry else field_id
