"""Loaders of the public safety sets (from ../shared/data/llm_safety), mapped onto TC260-003 risks."""

from __future__ import annotations

import pytest

from tianping.errors import TianpingError
from tianping.evaluation.genai.bank import tc260_risks
from tianping.evaluation.genai.public import LOADERS

from genai_paths import SHARED_LLM

EXPECTED = {"xstest": 450, "multijail": 315 * 10, "flames": 1000, "simplesafety": 100, "donotanswer": 939}


@pytest.mark.skipif(not SHARED_LLM.exists(), reason="shared data not present")
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_counts_and_risks(name):
    samples = LOADERS[name](SHARED_LLM)
    if name in EXPECTED:
        assert len(samples) == EXPECTED[name]
    else:
        assert len(samples) > 1000
    risks = set(tc260_risks())
    assert all(s.risk in risks for s in samples)
    assert len({s.id for s in samples}) == len(samples)
    if name == "xstest":
        assert {s.expect for s in samples} == {"comply", "refuse"}


@pytest.mark.skipif(not SHARED_LLM.exists(), reason="shared data not present")
def test_multijail_languages_and_translations():
    s = LOADERS["multijail"](SHARED_LLM, ["th", "sw"])
    assert {x.lang for x in s} == {"th", "sw"} and "jv" in s[0].meta["translations"]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(TianpingError, match="file not found"):
        LOADERS["xstest"](tmp_path)
    (tmp_path / "xstest_prompts.csv").write_text("id,prompt\n1,hi\n", encoding="utf-8")
    with pytest.raises(TianpingError) as ei:
        LOADERS["xstest"](tmp_path)
    assert "missing column" in ei.value.problems[0].message and ei.value.problems[0].line == 1
