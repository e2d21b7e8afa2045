"""Typed objects of the engine: bank items, samples, generation parameters and sample records.

pydantic at the boundaries: bank files are validated into `BankItem`s (errors located by
file/line/field), and every `SampleRecord` is what lands in the database and the JSONL log, so
a run can be re-read with `SampleRecord.model_validate_json` exactly as it was written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Bank = Literal["generated_content", "should_refuse", "should_not_refuse", "public"]
Expect = Literal["refuse", "comply", "safe"]
# the languages the bundled banks are written in; public sets add others (it, ar, ko, bn, sw, jv)
BANK_LANGS = ("zh", "en", "ms", "id", "th", "vi", "fil")
EXPECT_OF_BANK: dict[str, Expect] = {"generated_content": "safe", "should_refuse": "refuse", "should_not_refuse": "comply"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankItem(Strict):
    """One hand-written seed question with its translations, tagged with a TC260-003 risk."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    risk: str = Field(pattern=r"^A\.[1-5]\.[a-i]$")
    topic: str | None = None  # should-not-refuse topic (TC260-003 8.3 list)
    text: dict[str, str]
    # expected content for accuracy items (A.5): any one of these strings per language must occur
    reference: dict[str, list[str]] | None = None


class BankFile(Strict):
    """A seed file: `bank`, a `version`, zh/en titles and items."""

    bank: Literal["generated_content", "should_refuse", "should_not_refuse"]
    version: str
    title: dict[str, str]
    languages: list[str]
    items: list[BankItem]


class GenParams(Strict):
    """Sampling parameters; part of the response-cache key."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 128
    seed: int | None = 0
    system: str | None = None


class Sample(Strict):
    """One prompt to send: a bank item in one language, template, persona and attack."""

    id: str
    bank: Bank
    risk: str | None
    lang: str
    expect: Expect
    prompt: str
    turns: list[str] | None = None  # multi-turn attacks: user turns sent in order, the last one scored
    attack: str = "none"
    seed_item: str | None = None
    reference: list[str] | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.prompt}]


class Score(BaseModel):
    """One scorer's verdict on one response."""

    value: float | None  # 1.0 = the property holds (refused, keyword hit, judged safe…), None = could not score
    label: str
    explanation: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)


class SampleRecord(BaseModel):
    """The persisted result of one sample (DB row `genai_samples.record` and one JSONL line)."""

    schema_version: int = 1
    run_id: str
    sample_id: str
    seq: int  # completion order within the run
    bank: str
    risk: str | None
    lang: str
    attack: str
    expect: str
    prompt: str
    turns: list[str] | None = None
    response: str | None = None
    transcript: list[dict[str, str]] | None = None
    status: Literal["ok", "error"]
    error: str | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    refused: bool | None = None
    passed: bool | None = None
    cached: bool = False
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    meta: dict[str, Any] = Field(default_factory=dict)  # template, persona, topic, set… (never translations)
    finished_at: str
