"""`tianping eval review …`: the human review queue of a generative run (TC260-003 manual sampling)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .common import STATE, console, emit_json, guarded, split_csv, tr

app = typer.Typer(
    help="Human review: sample a run's answers, label them, measure agreement with the automated judges.", no_args_is_help=True
)
JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _rid(run: str) -> str:
    from ..evaluation.genai.service import resolve_run_id

    return resolve_run_id(STATE.db(), run)


@app.command("sample")
@guarded
def sample(
    run: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    n: int | None = typer.Option(None, "--n", help="Sample exactly N answers (default: the standard's minimum)."),
    margin: float | None = typer.Option(None, "--margin", help="Instead: the size that estimates a rate to ±MARGIN."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level for --margin."),
    by: str = typer.Option("risk,lang", "--by", help="Fields to stratify by (risk, lang, bank, attack, expect)."),
    bank: str | None = typer.Option(None, "--bank", help="Bank to sample (default: generated_content when present)."),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JSON_OPT,
) -> None:
    """Draw the stratified sample of answers people will label (once per run)."""
    from ..evaluation.genai.review import create_queue

    rid = _rid(run)
    plan = create_queue(STATE.db(), rid, n=n, margin=margin, confidence=confidence, by=split_csv(by) or (), bank=bank, seed=seed)
    if as_json:
        emit_json({"run_id": rid, **plan})
        return
    console.print(
        tr(
            "review_queued",
            run=rid[:8],
            n=plan["size"],
            pop=plan["population"],
            strata=len(plan["strata"]),
            std=plan["standard_minimum"],
            ok="" if plan["meets_standard"] else tr("review_below_std"),
        ),
        highlight=False,
    )


@app.command("next")
@guarded
def next_(run: str = typer.Argument(...), limit: int = typer.Option(1, "--limit"), as_json: bool = JSON_OPT) -> None:
    """Show the next answer(s) waiting for a label."""
    from ..evaluation.genai.review import next_items

    items = next_items(STATE.db(), _rid(run), limit=limit)
    if as_json:
        emit_json(items)
        return
    if not items:
        console.print(tr("review_done"))
    for i in items:
        console.rule(tr("review_item", id=i["sample_id"], stratum=i["stratum"]))
        console.print(i["prompt"] or "", highlight=False, markup=False)
        console.print("→ " + (i["response"] or ""), highlight=False, markup=False)


@app.command("label")
@guarded
def label(
    run: str = typer.Argument(...),
    sample_id: str = typer.Argument(...),
    value: str = typer.Option(..., "--label", help="safe, unsafe or refusal"),
    reviewer: str = typer.Option(..., "--reviewer", help="Who labels (recorded in the audit trail)."),
    note: str | None = typer.Option(None, "--note"),
    as_json: bool = JSON_OPT,
) -> None:
    """Label one sampled answer."""
    from ..errors import Problem, TianpingError
    from ..evaluation.genai.review import LABELS, label_items

    v = value.strip().lower()
    if v not in LABELS:
        raise TianpingError(Problem(f"'{value}' is not one of {', '.join(LABELS)}", field="--label"), title="bad option")
    res = label_items(STATE.db(), _rid(run), [{"sample_id": sample_id, "label": v, "note": note}], reviewer=reviewer)
    emit_json(res) if as_json else console.print(tr("review_labelled", n=res["labelled"], who=reviewer), highlight=False)


@app.command("export")
@guarded
def export(run: str = typer.Argument(...), out: Path = typer.Option(..., "--out", help="CSV file for reviewers.")) -> None:
    """Write the queue as a CSV with empty label/note columns, for labelling offline."""
    from ..evaluation.genai.review import export_rows, write_csv
    from ..outputs import check_file

    check_file(out, "--out")  # before reading the queue: a directory, a missing or read-only folder
    write_csv(export_rows(STATE.db(), _rid(run)), out)
    console.print(tr("wrote", path=out), highlight=False)


@app.command("import")
@guarded
def import_(
    run: str = typer.Argument(...),
    file: Path = typer.Argument(..., help="CSV (sample_id,label[,note]) or JSONL."),
    reviewer: str = typer.Option(..., "--reviewer"),
    as_json: bool = JSON_OPT,
) -> None:
    """Record the labels of a filled-in file; any bad row rejects the whole file (nothing recorded)."""
    from ..evaluation.genai.review import label_items, read_labels_file

    res = label_items(STATE.db(), _rid(run), read_labels_file(file), reviewer=reviewer)
    emit_json(res) if as_json else console.print(tr("review_labelled", n=res["labelled"], who=reviewer), highlight=False)


@app.command("status")
@guarded
def status(run: str = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """Progress per stratum and agreement (Cohen's kappa, confusion matrix) with the automated judgements."""
    from ..evaluation.genai.review import status as review_status

    st = review_status(STATE.db(), _rid(run))
    if as_json:
        emit_json(st)
        return
    console.print(
        tr("review_status", run=st["run_id"][:8], done=st["labelled"], n=st["sampled"], who=", ".join(st["reviewers"]) or "—"),
        highlight=False,
    )
    table = Table(title=tr("review_agreement"))
    for col in ("judgement", "n", "kappa", "agreement"):
        table.add_column(col)
    for name, a in st["agreement"].items():
        table.add_row(
            name,
            str(a["n"]),
            "—" if a.get("kappa") is None else f"{a['kappa']:.3f}",
            "—" if a.get("observed_agreement") is None else f"{a['observed_agreement']:.1%}",
        )
    console.print(table)
