"""The controlled vocabulary of use-case codes and sectors (`vocabulary.yaml`), validated."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import TianpingError
from ..yamlio import load_yaml_file, validation_problems

VOCABULARY_FILE = Path(__file__).parent / "vocabulary.yaml"


class UseCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=3)
    zh: str = Field(min_length=2)
    refs: list[str] = Field(min_length=1)


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=2)
    zh: str = Field(min_length=1)


class Purpose(UseCase):
    exempts: list[str] = Field(
        default_factory=list, description="Catalog instruments under which this purpose exempts a transfer."
    )


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    use_cases: dict[str, UseCase]
    sectors: list[str]
    sector_labels: dict[str, Label] = Field(default_factory=dict)
    transfer_purposes: dict[str, Purpose] = Field(default_factory=dict)

    def codes(self, kind: str) -> list[str]:
        return (
            list(self.use_cases)
            if kind == "use_cases"
            else list(self.sectors)
            if kind == "sectors"
            else list(self.transfer_purposes)
        )


@lru_cache(maxsize=1)
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    doc = load_yaml_file(path)
    try:
        return Vocabulary.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid vocabulary") from None


KIND_WORDS = {"use_cases": "use-case code", "sectors": "sector", "transfer_purposes": "transfer purpose"}


@lru_cache(maxsize=8)
def code_set(kind: str) -> frozenset[str]:
    return frozenset(vocabulary().codes(kind))


def check_code(kind: str, value: str) -> str:
    """`value` if it is a code of the vocabulary list `kind`; else ValueError with a suggestion."""
    if value in code_set(kind):
        return value
    from .jurisdictions import suggestion

    vocab = vocabulary()
    codes = vocab.codes(kind)
    v = value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value
    labels = (
        {c: getattr(vocab, kind)[c].en for c in codes}
        if kind != "sectors"
        else {c: vocab.sector_labels[c].en for c in codes if c in vocab.sector_labels}
    )
    raise ValueError(f"unknown {KIND_WORDS[kind]} '{value}' (see rules/vocabulary.yaml){suggestion(str(v), codes, names=labels)}")


@lru_cache(maxsize=1)
def exempt_purposes(instrument: str = "cn-cross-border-data") -> frozenset[str]:
    return frozenset(p for p, spec in vocabulary().transfer_purposes.items() if instrument in spec.exempts)
