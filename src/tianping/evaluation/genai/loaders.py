"""Your datasets as they are: CSV / TSV / JSONL / JSON / Parquet with a column mapping and named presets.

`load_dataset(path, preset=, mapping=)` reads the user's file and turns every row into one sample
(one per language for wide files such as MultiJail), exactly as written: nothing is resampled,
dropped, templated or translated. Which column holds what comes from the preset
(`banks/dataset_presets.yaml`: HarmBench, AdvBench, StrongREJECT, SORRY-Bench, XSTest,
Do-Not-Answer, MultiJail, JADE, AILuminate) and/or `--map field=column`. A risk column holding
TC260-003 ids is used as is; otherwise the preset's category table maps categories onto risks, and
rows with no mapping stay `unmapped` (still run, still counted). The run labels the bank as the
user's file (name + sha256), never as the bundled bank.

Bad input is a TianpingError naming the file, the row (line) and the column: an unknown preset, a
missing column, an empty file, an empty prompt, a duplicate id, an unknown expectation.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

from ...errors import Problem, ProblemList, TianpingError
from ...yamlio import load_yaml_file
from .schema import Bank, Expect, Sample

PRESETS_FILE = Path(__file__).parent / "banks" / "dataset_presets.yaml"
FIELDS = ("id", "prompt", "context", "category", "risk", "lang", "expect", "bank", "turns", "reference")
CONSTANT_FIELDS = ("lang", "expect", "bank")
EXPECTS: tuple[Expect, ...] = ("refuse", "comply", "safe")
BANKS: tuple[Bank, ...] = ("generated_content", "should_refuse", "should_not_refuse", "public")
_RISK = re.compile(r"^A\.[1-5]\.[a-i]$")


def _is_expect(value: str) -> TypeGuard[Expect]:
    return value in EXPECTS


def _is_bank(value: str) -> TypeGuard[Bank]:
    return value in BANKS


FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@lru_cache(maxsize=1)
def presets() -> dict[str, dict[str, Any]]:
    return dict((load_yaml_file(PRESETS_FILE).data or {}).get("presets") or {})


def preset(name: str) -> dict[str, Any]:
    p = presets().get(name)
    if p is None:
        raise TianpingError(f"unknown dataset preset '{name}' (known: {', '.join(sorted(presets()))})", title="unknown preset")
    return p


LABELLED_FIELDS = ("prompt", "response", "label", "lang", "risk")


def parse_mapping(items: list[str] | str | None, fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """`--map prompt=question,category=risk_area` (repeatable or comma-separated) → {field: column}."""
    if not items:
        return {}
    if isinstance(items, str):
        items = [items]
    out: dict[str, str] = {}
    for chunk in items:
        for part in [p for p in re.split(r",(?=[A-Za-z_]+=)", chunk) if p.strip()]:
            k, eq, v = part.partition("=")
            k = k.strip()
            if not eq or not v.strip():
                raise TianpingError(f"--map '{part}': write field=column (fields: {', '.join(fields)})", title="bad option")
            if k not in fields:
                raise TianpingError(f"--map '{part}': unknown field '{k}' (fields: {', '.join(fields)})", title="bad option")
            out[k] = v.strip()
    return out


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- reading tables ---------------------------------------------------------------------------


@dataclass
class Table:
    path: Path
    fmt: str
    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (line or row number, row)
    unit: str = "line"  # "line" for text formats, "row" for Parquet


def _fmt_of(p: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in set(FORMATS.values()):
            raise TianpingError(f"unknown format '{fmt}' (csv, tsv, jsonl, json, parquet)", title="bad option")
        return fmt
    f = FORMATS.get(p.suffix.lower())
    if not f:
        raise TianpingError(
            Problem(
                f"cannot tell the format from the extension '{p.suffix}' (use .csv, .tsv, .jsonl, .json or .parquet)", file=str(p)
            ),
            title="invalid data file",
        )
    return f


def read_table(path: str | Path, fmt: str | None = None) -> Table:
    p = Path(path)
    if not p.is_file():
        raise TianpingError(Problem("file not found" if not p.exists() else "not a file", file=str(p)), title="file not found")
    f = _fmt_of(p, fmt)
    if f in ("csv", "tsv"):
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if f == "tsv" else ",")
            cols = list(reader.fieldnames or [])
            rows = []
            for r in reader:
                if None in r:  # more cells than header columns
                    raise TianpingError(
                        Problem(
                            f"row has {len(cols) + len(r[None])} cells, the header {len(cols)}", file=str(p), line=reader.line_num
                        ),
                        title="invalid data file",
                    )
                rows.append((reader.line_num, r))
        table = Table(p, f, cols, rows)
    elif f == "jsonl":
        rows = []
        keys: dict[str, None] = {}  # every key in first-seen order (an ordered set)
        with p.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TianpingError(
                        Problem(f"invalid JSON: {exc.msg} (column {exc.colno})", file=str(p), line=n), title="invalid data file"
                    ) from None
                if not isinstance(obj, dict):
                    raise TianpingError(
                        Problem("each line must be a JSON object", file=str(p), line=n), title="invalid data file"
                    )
                rows.append((n, obj))
                keys.update(dict.fromkeys(obj))
        table = Table(p, f, list(keys), rows)
    elif f == "json":
        try:
            data = json.loads(p.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise TianpingError(
                Problem(f"invalid JSON: {exc.msg}", file=str(p), line=exc.lineno), title="invalid data file"
            ) from None
        if isinstance(data, dict):  # {"data": [...]}, {"jailbreaks": [...]}, or one list-valued key
            lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
            data = lists[0] if len(lists) == 1 else data.get("data", data.get("rows"))
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise TianpingError(
                Problem("expected a JSON array of objects (or an object holding one)", file=str(p)), title="invalid data file"
            )
        keys = {}
        for x in data:
            keys.update(dict.fromkeys(x))
        table = Table(p, f, list(keys), [(i + 1, x) for i, x in enumerate(data)], unit="item")
    else:
        try:
            import pyarrow.parquet as pq

            t = pq.read_table(p)
        except Exception as exc:  # noqa: BLE001 - a broken file is the user's input error
            raise TianpingError(Problem(f"cannot read Parquet: {exc}", file=str(p)), title="invalid data file") from None
        data = t.to_pylist()
        table = Table(p, f, list(t.column_names), [(i + 1, x) for i, x in enumerate(data)], unit="row")
    if not table.rows:
        raise TianpingError(Problem("the file has no rows", file=str(p), line=1), title="empty data file")
    return table


# ---- rows → samples ---------------------------------------------------------------------------


@dataclass
class DatasetInfo:
    """What a run records about the user's file (stored in the run config and the results)."""

    file: str
    name: str
    sha256: str
    format: str
    preset: str | None
    mapping: dict[str, str]
    rows: int
    samples: int
    langs: list[str] = field(default_factory=list)
    unmapped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": "user",
            "file": self.file,
            "name": self.name,
            "sha256": self.sha256,
            "format": self.format,
            "preset": self.preset,
            "mapping": self.mapping,
            "rows": self.rows,
            "samples": self.samples,
            "langs": self.langs,
            "unmapped": self.unmapped,
        }


def _cell(row: dict[str, Any], col: str | None) -> Any:
    if not col:
        return None
    v = row.get(col)
    if v is None:
        return None
    if isinstance(v, float) and v != v:  # NaN from Parquet/pandas
        return None
    return v


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return str(v[0]) if v else ""
    return str(v)


def _first_tag(v: Any) -> str:
    """A category cell may be a list, a JSON/Python list literal ("['Theft']") or a plain string."""
    if isinstance(v, (list, tuple)):
        return str(v[0]).strip() if v else ""
    s = str(v or "").strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            lst = json.loads(s)
        except json.JSONDecodeError:
            try:
                lst = ast.literal_eval(s)
            except (ValueError, SyntaxError):
                lst = [s.strip("[]")]
        return str(lst[0]).strip() if lst else ""
    return s


def _turns(v: Any) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    s = str(v).strip()
    if s.startswith("["):
        try:
            lst = json.loads(s)
            if isinstance(lst, list):
                return [str(x) for x in lst]
        except json.JSONDecodeError:
            pass
    return [s]


def _lang(v: Any) -> str:
    s = str(v or "").strip()
    return re.split(r"[_-]", s)[0].lower() if s else ""


def _risk_ids() -> set[str]:
    from .bank import tc260_risks

    return set(tc260_risks())


def load_dataset(
    path: str | Path,
    *,
    preset_name: str | None = None,
    mapping: dict[str, str] | None = None,
    langs: list[str] | None = None,
    fmt: str | None = None,
) -> tuple[list[Sample], DatasetInfo]:
    """The user's file as samples, as written; raises a located TianpingError on bad input."""
    pre = dict(preset(preset_name)) if preset_name else {}
    table = read_table(path, fmt)
    p, where = table.path, str(table.path)
    cols = dict(pre.get("columns") or {})
    consts: dict[str, str] = {k: pre[k] for k in CONSTANT_FIELDS if pre.get(k)}
    for k, v in (mapping or {}).items():
        if v in table.columns:
            cols[k] = v
            consts.pop(k, None)
        elif k in CONSTANT_FIELDS:
            consts[k] = v
            cols.pop(k, None)
        else:
            raise TianpingError(
                Problem(f"--map {k}={v}: no column '{v}' (columns: {', '.join(table.columns)})", file=where, line=1, field=v),
                title="invalid data file",
            )
    wide = list(pre.get("wide_langs") or [])
    for fld in FIELDS:  # columns named exactly like a field are that field, unless mapped otherwise
        if fld not in cols and fld not in consts and fld in table.columns and not (wide and fld == "prompt"):
            cols[fld] = fld
    if not mapping or "prompt" not in mapping:
        if not wide and "prompt" not in cols and "turns" not in cols:
            guess = next(
                (
                    c
                    for c in ("prompt", "question", "text", "input", "query", "goal", "forbidden_prompt", "Behavior")
                    if c in table.columns
                ),
                None,
            )
            if guess is None:
                raise TianpingError(
                    Problem(
                        f"no prompt column: name it with --map prompt=COLUMN or --preset (columns: {', '.join(table.columns)})",
                        file=where,
                        line=1,
                    ),
                    title="invalid data file",
                )
            cols["prompt"] = guess
    needed: list[str] = []
    if not wide:
        needed += [cols[f] for f in ("prompt", "turns") if cols.get(f)]
    pre_cols = set((pre.get("columns") or {}).values())
    for c in pre.get("required") or []:
        if c in cols.values() or c not in pre_cols:  # a preset column the user mapped away is no longer needed
            needed.append(c)
    missing = sorted({c for c in needed if c not in table.columns})
    if missing:
        how = f" for preset '{preset_name}'" if preset_name else ""
        raise TianpingError(
            Problem(
                f"missing column(s){how}: {', '.join(missing)} (columns: {', '.join(table.columns)}; "
                "map others with --map field=column)",
                file=where,
                line=1,
                field=missing[0],
            ),
            title="invalid data file",
        )
    for k in ("expect", "bank"):
        if consts.get(k) and consts[k] not in (EXPECTS if k == "expect" else BANKS):
            raise TianpingError(
                f"--map {k}={consts[k]}: not a column and not one of {', '.join(EXPECTS if k == 'expect' else BANKS)}",
                title="bad option",
            )
    risk_map: dict[str, str] = {str(k): str(v) for k, v in (pre.get("risk_map") or {}).items()}
    expect_map = pre.get("expect_map") or {}
    expect_by_cat = pre.get("expect_by_category") or {}
    known_risks = _risk_ids()
    lang_default = consts.get("lang") or "en"
    for suffix, lg in (pre.get("lang_from_filename") or {}).items():
        if p.stem.endswith(suffix) and "lang" not in (mapping or {}):
            lang_default = lg
    set_id = preset_name or "dataset"
    problems = ProblemList()
    out: list[Sample] = []
    seen: dict[str, int] = {}
    unmapped = 0
    unit = table.unit
    for line, row in table.rows:

        def bad(msg: str, col: str | None = None, line: int = line) -> None:  # bound now: called within this row
            problems.add(
                msg if unit == "line" else f"{unit} {line}: {msg}", file=where, line=line if unit == "line" else None, field=col
            )

        category = _first_tag(_cell(row, cols.get("category"))) or None
        risk_raw = _text(_cell(row, cols.get("risk"))).strip() if cols.get("risk") else ""
        risk: str | None = None
        if risk_raw:
            if _RISK.match(risk_raw) and risk_raw in known_risks:
                risk = risk_raw
            elif risk_raw in risk_map:
                risk = risk_map[risk_raw]
            else:
                category = category or risk_raw
        if risk is None and category and category in risk_map:
            risk = risk_map[category]
        if risk is None:
            unmapped += 1
        # expectation
        expect = consts.get("expect")
        if cols.get("expect"):
            expect = _text(_cell(row, cols["expect"])).strip().lower() or expect
        if expect_map:
            val = _text(_cell(row, expect_map["column"])).strip()
            expect = (expect_map.get("values") or {}).get(val, expect)
            if val not in (expect_map.get("values") or {}):
                bad(
                    f"unknown {expect_map['column']} '{val}' (expected one of {', '.join(expect_map['values'])})",
                    expect_map["column"],
                )
                continue
        if category and category in expect_by_cat:
            expect = expect_by_cat[category]
        expect = expect or "refuse"
        if not _is_expect(expect):
            bad(f"unknown expectation '{expect}' (refuse, comply or safe)", cols.get("expect"))
            continue
        bank = consts.get("bank") or "public"
        if cols.get("bank"):
            bank = _text(_cell(row, cols["bank"])).strip() or bank
        if not _is_bank(bank):
            bad(f"unknown bank '{bank}' ({', '.join(BANKS)})", cols.get("bank"))
            continue
        rid = _text(_cell(row, cols.get("id"))).strip() if cols.get("id") else ""
        rid = rid or str(line)
        if pre.get("id_with") and row.get(pre["id_with"]) not in (None, ""):
            rid = f"{rid}.{row[pre['id_with']]}"
        meta: dict[str, Any] = {"set": set_id, "row": line}
        if category:
            meta["category"] = category
        reference = _cell(row, cols.get("reference"))
        ref_list = (
            [str(x) for x in reference] if isinstance(reference, (list, tuple)) else ([str(reference)] if reference else None)
        )
        # one row → one sample, or one per language for wide files
        variants: list[tuple[str, str, list[str] | None]] = []
        if wide:
            for lg in wide:
                cell = _text(_cell(row, lg)).strip()
                if cell:
                    variants.append((lg, cell, None))
            if not variants:
                bad("no prompt in any language column", ",".join(wide))
                continue
        else:
            turns = _turns(_cell(row, cols.get("turns"))) if cols.get("turns") else None
            prompt = turns[0] if turns else _text(_cell(row, cols.get("prompt")))
            if not prompt.strip():
                bad("empty prompt", cols.get("turns") or cols.get("prompt"))
                continue
            context = _text(_cell(row, cols.get("context"))).strip() if cols.get("context") else ""
            if context:
                prompt = context + pre.get("context_join", "\n\n") + prompt
                meta["context"] = True
            lg = _lang(_cell(row, cols["lang"])) if cols.get("lang") else lang_default
            variants.append((lg or lang_default, prompt, turns if turns and len(turns) > 1 else None))
        for lg, prompt, turns in variants:
            if langs and lg not in langs:
                continue
            sid = f"{set_id}:{rid}:{lg}"
            if sid in seen:
                bad(f"duplicate id '{rid}' (first on {unit} {seen[sid]})", cols.get("id"))
                continue
            seen[sid] = line
            out.append(
                Sample(
                    id=sid,
                    bank=bank,
                    risk=risk,
                    lang=lg,
                    expect=expect,
                    prompt=prompt,
                    turns=turns,
                    seed_item=f"{set_id}:{rid}",
                    reference=ref_list,
                    meta=dict(meta),
                )
            )
    problems.raise_if_any("invalid data file")
    info = DatasetInfo(
        file=str(p.resolve()),
        name=p.name,
        sha256=sha256_of(p),
        format=table.fmt,
        preset=preset_name,
        mapping={**cols, **{k: f"={v}" for k, v in consts.items()}},
        rows=len(table.rows),
        samples=len(out),
        langs=sorted({s.lang for s in out}),
        unmapped=sum(1 for s in out if s.risk is None),
    )
    return out, info


# ---- labelled sets for judge calibration -----------------------------------------------------


def _jailbreakbench_rows(p: Path) -> Iterator[dict[str, Any]]:
    files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict) or "jailbreaks" not in data:
            continue
        model = (data.get("parameters") or {}).get("model", f.stem)
        method = (data.get("parameters") or {}).get("method", f.parent.name)
        for i, j in enumerate(data["jailbreaks"]):
            if j.get("response") and j.get("jailbroken") is not None:
                yield {
                    "id": f"{method}/{model}/{j.get('index', i)}",
                    "prompt": j.get("prompt") or j.get("goal") or "",
                    "response": j["response"],
                    "label": "unsafe" if j["jailbroken"] else "safe",
                    "lang": "en",
                    "model": model,
                    "category": j.get("category"),
                }


def load_labelled(
    path: str | Path, mapping: dict[str, str] | None = None, *, fmt: str | None = None, limit: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Labelled (prompt, response, safe|unsafe) rows for calibrating a judge, and the file's description.

    Columns `prompt`, `response`, `label` (safe/unsafe, 0/1, true/false), optional `lang`, `risk`;
    other names through `mapping`. A JailbreakBench artifacts file or directory is read natively
    (label = its `jailbroken` verdict, itself an LLM judge's: a second opinion, not ground truth)."""
    from .judges.calibration import normalise_label

    p = Path(path)
    m = {"prompt": "prompt", "response": "response", "label": "label", "lang": "lang", "risk": "risk", **(mapping or {})}
    if p.is_dir() or (p.suffix == ".json" and '"jailbreaks"' in p.read_text(encoding="utf-8", errors="replace")[:200000]):
        rows = list(_jailbreakbench_rows(p))
        if not rows:
            raise TianpingError(
                Problem("no labelled rows (expected JailbreakBench artifact JSON files)", file=str(p)), title="invalid data file"
            )
        desc: dict[str, Any] = {
            "file": str(p.resolve()),
            "name": p.name,
            "format": "jailbreakbench",
            "sha256": sha256_of(p) if p.is_file() else _dir_sha(p),
            "label_source": "jailbroken (LLM judge)",
        }
    else:
        table = read_table(p, fmt)
        miss = [m[k] for k in ("prompt", "response", "label") if m[k] not in table.columns]
        if miss:
            raise TianpingError(
                Problem(
                    f"missing column(s): {', '.join(miss)} (columns: {', '.join(table.columns)}; "
                    "map with --map prompt=…,response=…,label=…)",
                    file=str(p),
                    line=1,
                ),
                title="invalid data file",
            )
        problems = ProblemList()
        rows = []
        for line, r in table.rows:
            lab = normalise_label(_cell(r, m["label"]))
            if lab is None:
                problems.add(
                    f"label '{_cell(r, m['label'])}' is not safe/unsafe (or 0/1, true/false)",
                    file=str(p),
                    line=line if table.unit == "line" else None,
                    field=m["label"],
                )
                continue
            rows.append(
                {
                    "id": str(line),
                    "prompt": _text(_cell(r, m["prompt"])),
                    "response": _text(_cell(r, m["response"])),
                    "label": lab,
                    "lang": _lang(_cell(r, m["lang"])) or None,
                    "risk": _cell(r, m["risk"]),
                }
            )
        problems.raise_if_any("invalid labelled file")
        desc = {"file": str(p.resolve()), "name": p.name, "format": table.fmt, "sha256": sha256_of(p), "label_source": m["label"]}
    if limit:
        rows = _balanced_subset(rows, limit)
    desc["rows"] = len(rows)
    desc["labels"] = {k: sum(1 for r in rows if r["label"] == k) for k in ("safe", "unsafe")}
    return rows, desc


def _balanced_subset(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """A deterministic subset of n rows alternating the two labels (recorded as `limit` by the caller)."""
    by = {"safe": [r for r in rows if r["label"] == "safe"], "unsafe": [r for r in rows if r["label"] == "unsafe"]}
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n and (i < len(by["safe"]) or i < len(by["unsafe"])):
        for k in ("unsafe", "safe"):
            if i < len(by[k]) and len(out) < n:
                out.append(by[k][i])
        i += 1
    return out


def _dir_sha(p: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p.rglob("*.json")):
        h.update(str(f.relative_to(p)).encode())
        h.update(sha256_of(f).encode())
    return h.hexdigest()


# ---- labelled replies (refusal) ---------------------------------------------------------------
# Replies a model already gave, each with a human refusal label (e.g. XSTest's published model
# completions). `tianping eval score --preset NAME` reads their columns; `refusal/evaluate.py
# --external NAME PATH` measures the refusal detector against their labels.

_REFUSAL_TRUE = {"refusal", "refused", "refuse", "full_refusal", "partial_refusal", "1", "true", "yes", "y"}
_REFUSAL_FALSE = {"compliance", "complied", "comply", "full_compliance", "answered", "answer", "0", "false", "no", "n"}


@lru_cache(maxsize=1)
def reply_presets() -> dict[str, dict[str, Any]]:
    return dict((load_yaml_file(PRESETS_FILE).data or {}).get("reply_presets") or {})


def reply_preset(name: str) -> dict[str, Any]:
    """A labelled-replies preset by name (`xstest` is short for `xstest_completions`)."""
    rp = reply_presets()
    p = rp.get(name) or rp.get(f"{name}_completions")
    if p is None:
        raise TianpingError(f"unknown replies preset '{name}' (known: {', '.join(sorted(rp))})", title="unknown preset")
    return p


def score_mapping(name: str) -> dict[str, str]:
    """The `eval score` column mapping (id, prompt, response, lang) of a replies preset."""
    cols = reply_preset(name).get("columns") or {}
    return {k: v for k, v in cols.items() if k in ("id", "prompt", "response", "lang")}


def refusal_label(value: Any, table: dict[str, bool] | None = None) -> bool | None:
    """True (refused: full or partial), False (complied) or None for a value that is neither."""
    if isinstance(value, bool):
        return value
    s = str(value if value is not None else "").strip()
    if table and s in table:
        return bool(table[s])
    key = re.sub(r"^\d+_", "", s.lower()).replace(" ", "_").replace("-", "_")  # "2_full_refusal" → "full_refusal"
    if key in _REFUSAL_TRUE or s.lower() in _REFUSAL_TRUE:
        return True
    if key in _REFUSAL_FALSE or s.lower() in _REFUSAL_FALSE:
        return False
    return None


def load_labelled_replies(
    path: str | Path, preset_name: str | None = None, mapping: dict[str, str] | None = None, *, fmt: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows {id, prompt, response, refusal, label, category, lang, model} of a labelled-replies file
    (or of every file of a directory matching the preset's `file_glob`), and their description.

    Columns come from the preset and/or `mapping` (fields id, prompt, response, label, category,
    lang); `label` is refusal/compliance in the preset's `refusal_labels` or the usual spellings
    (refusal/compliance, 1/0, true/false). Problems name the file, line and column."""
    pre = reply_preset(preset_name) if preset_name else {}
    cols = {
        "id": "id",
        "prompt": "prompt",
        "response": "response",
        "label": "label",
        "category": "category",
        "lang": "lang",
        **(pre.get("columns") or {}),
        **(mapping or {}),
    }
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob(pre.get("file_glob") or "*"))
        files = [f for f in files if f.is_file() and f.suffix.lower() in FORMATS]
        if not files:
            glob = pre.get("file_glob") or "*"
            raise TianpingError(
                Problem(f"no labelled-replies files ({glob}) in the directory", file=str(p)), title="file not found"
            )
    else:
        files = [p]
    model_re = re.compile(pre["model_from_filename"]) if pre.get("model_from_filename") else None
    labels = {str(k): bool(v) for k, v in (pre.get("refusal_labels") or {}).items()}
    rows: list[dict[str, Any]] = []
    described = []
    problems = ProblemList()
    for f in files:
        table = read_table(f, fmt)
        need = [cols["response"], cols["label"], *(pre.get("required") or [])]
        miss = [c for c in dict.fromkeys(need) if c not in table.columns]
        if miss:
            raise TianpingError(
                Problem(
                    f"missing column(s): {', '.join(miss)} (columns: {', '.join(table.columns)}; "
                    "map with --map response=…,label=…)",
                    file=str(f),
                    line=1,
                    field=miss[0],
                ),
                title="invalid data file",
            )
        m = model_re.search(f.stem) if model_re else None
        model = m.group(1) if m else f.stem
        seen: set[str] = set()
        for line, r in table.rows:
            where_line = line if table.unit == "line" else None  # Parquet rows have no line number
            raw = _cell(r, cols["label"])
            lab = refusal_label(raw, labels)
            if lab is None:
                known = ", ".join(labels) or "refusal, compliance"
                problems.add(
                    f"label '{raw}' is not a refusal/compliance label (known: {known})",
                    field=cols["label"],
                    file=str(f),
                    line=where_line,
                )
                continue
            rid = _text(_cell(r, cols["id"])) or str(line)
            if rid in seen:
                problems.add(f"duplicate id '{rid}'", field=cols["id"], file=str(f), line=where_line)
                continue
            seen.add(rid)
            rows.append(
                {
                    "id": rid,
                    "prompt": _text(_cell(r, cols["prompt"])),
                    "response": _text(_cell(r, cols["response"])),
                    "refusal": lab,
                    "label": _text(raw),
                    "category": _text(_cell(r, cols["category"])) or None,
                    "lang": _lang(_cell(r, cols["lang"])) or pre.get("lang") or None,
                    "model": model,
                }
            )
        described.append(
            {"file": str(f.resolve()), "name": f.name, "model": model, "sha256": sha256_of(f), "rows": len(table.rows)}
        )
    problems.raise_if_any("invalid labelled-replies file")
    desc = {"preset": preset_name, "files": described, "rows": len(rows), "refusals": sum(r["refusal"] for r in rows)}
    return rows, desc
