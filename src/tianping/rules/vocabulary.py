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


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    use_cases: dict[str, UseCase]
    sectors: list[str]


@lru_cache(maxsize=1)
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    doc = load_yaml_file(path)
    try:
        return Vocabulary.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid vocabulary") from None
