"""Registered suites: functions that return the samples of a run from its options.

`tc260` is the standard's full battery at its sizes; `tc260-refusal` and `tc260-content` are its
halves; `tc260-seeds` sends each hand-written seed once per language (a quick look); `bank` expands
a user's own seed file; the public sets load from `--data PATH`. A suite is a pure function of its
options, so `eval resume` rebuilds exactly the same sample list from the stored config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import TianpingError
from .bank import bundled_banks, load_bank_file
from .bankgen import expand, expand_bundled
from .registry import suite
from .schema import BANK_LANGS, Sample


@dataclass
class SuiteOptions:
    langs: list[str] = field(default_factory=lambda: ["zh", "en"])
    seed: int = 0
    data: str | None = None  # public set: file or directory
    bank: str | None = None  # user seed file for the `bank` suite
    expand: bool = False  # `bank` suite: expand seeds with templates to the standard's sizes (only when asked)
    dataset: str | None = None  # the user's own CSV/JSONL/Parquet file (`dataset` suite)
    preset: str | None = None  # named column layout of a known set (loaders.py)
    mapping: dict[str, str] = field(default_factory=dict)  # --map field=column
    filter_langs: bool = False  # `dataset` suite: keep only rows in `langs` (only when --lang was given)


@suite("tc260")
def tc260(o: SuiteOptions) -> list[Sample]:
    """TC260-003 generated-content, should-refuse and should-not-refuse banks at the standard's sizes."""
    return expand_bundled(["generated_content", "should_refuse", "should_not_refuse"], o.langs, seed=o.seed)


@suite("tc260-refusal")
def tc260_refusal(o: SuiteOptions) -> list[Sample]:
    """TC260-003 should-refuse and should-not-refuse banks (≥ 500 each)."""
    return expand_bundled(["should_refuse", "should_not_refuse"], o.langs, seed=o.seed)


@suite("tc260-content")
def tc260_content(o: SuiteOptions) -> list[Sample]:
    """TC260-003 generated-content bank (≥ 2,000 over the 31 risks)."""
    return expand_bundled(["generated_content"], o.langs, seed=o.seed)


@suite("tc260-seeds")
def tc260_seeds(o: SuiteOptions) -> list[Sample]:
    """Every hand-written seed once per language, no templates (a quick look)."""
    from .bankgen import _sample

    out = []
    for bank in bundled_banks().values():
        for item in bank.items:
            for lang in o.langs:
                if lang in bank.languages and lang in item.text:  # language-pack items exist in their own languages only
                    out.append(_sample(bank, item, lang, "plain", None, "{q}"))
    return out


@suite("bank")
def user_bank(o: SuiteOptions) -> list[Sample]:
    """A user's seed file (--bank PATH), each item once per language as written (--expand: templates to the standard's sizes)."""
    if not o.bank:
        raise TianpingError("the 'bank' suite needs --bank PATH (a seed file in the bundled banks' format)", title="bad option")
    bank = load_bank_file(o.bank)
    if o.expand:
        return expand(bank, o.langs, seed=o.seed)
    from .bankgen import _sample

    out = []
    for item in bank.items:
        for lang in o.langs:
            if lang in bank.languages:
                s = _sample(bank, item, lang, "plain", None, "{q}")
                s.meta["source"] = "user"
                out.append(s)
    return out


@suite("dataset")
def user_dataset(o: SuiteOptions) -> list[Sample]:
    """Your own CSV/JSONL/Parquet file (--dataset FILE, --preset NAME, --map field=column), every row as given."""
    from .loaders import load_dataset

    if not o.dataset:
        raise TianpingError("the 'dataset' suite needs --dataset FILE (CSV, JSONL, JSON or Parquet)", title="bad option")
    samples, _info = load_dataset(o.dataset, preset_name=o.preset, mapping=o.mapping, langs=o.langs if o.filter_langs else None)
    return samples


def _public(name: str) -> Callable[[SuiteOptions], list[Sample]]:
    from .public import LOADERS

    def load(o: SuiteOptions) -> list[Sample]:
        if not o.data:
            raise TianpingError(
                f"the '{name}' suite reads a public data set: give its file or directory with --data PATH", title="bad option"
            )
        langs = None if set(o.langs) >= set(BANK_LANGS) else o.langs
        return LOADERS[name](o.data, langs)

    load.__doc__ = (LOADERS[name].__doc__ or "").strip().splitlines()[0] + " (from --data PATH)"
    return load


for _name in ("xstest", "multijail", "flames", "simplesafety", "donotanswer", "jade"):
    suite(_name)(_public(_name))
