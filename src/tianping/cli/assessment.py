"""`tianping plan | assess | verify | checklist …`: from classification to a signed report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..assessment.exit_policy import assessment_exit_code, exit_policy
from ..errors import TianpingError
from .common import STATE, check_new_dir, console, emit_json, guarded, split_csv, tr, txt

JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")
checklist_app = typer.Typer(help="Process checklists (AI Verify, ISO/IEC 42001 Annex A, NIST AI RMF).", no_args_is_help=True)


def _system(ref: str):
    from ..registry.service import RegistryService

    return RegistryService(STATE.db()).resolve(ref)


@guarded
def plan(
    system: str = typer.Argument(..., help="Profile file or registered system id."),
    as_of: str | None = typer.Option(None, "--as-of"),
    as_json: bool = JSON_OPT,
) -> None:
    """Which technical tests and process checks evidence each obligation."""
    from ..assessment.plan import plan_dict, plan_for
    from ..rules.engine import classify
    from .registry import _as_of

    prof = _system(system)
    p = plan_dict(plan_for(classify(prof, as_of=_as_of(as_of)), model_kinds=prof.model_kinds))
    if as_json:
        emit_json({"system": prof.id, **p})
        return
    table = Table(title=tr("plan_title", id=prof.id))
    for col in ("jurisdiction", "obligation", "plan_tests", "plan_checks"):
        table.add_column(tr(col), overflow="fold")
    for o in p["obligations"]:
        table.add_row(
            o["jurisdiction"],
            txt(o["title"]),
            ", ".join(t["test"] for t in o["tests"]),
            ", ".join(c["item"] for c in o["checks"][:6]) + (" …" if len(o["checks"]) > 6 else ""),
        )
    console.print(table)
    console.print(f"{tr('plan_tests')}: {', '.join(p['tests']) or '—'}", highlight=False)


@guarded
def assess(
    system: str = typer.Argument(..., help="Profile file or registered system id."),
    runs: str | None = typer.Option(None, "--runs", help="Comma-separated run ids (default: the system's completed runs)."),
    answers: Path | None = typer.Option(
        None, "--answers", help="Checklist answers YAML (default: answers imported for the system)."
    ),
    evidence: Path | None = typer.Option(None, "--evidence", help="Directory holding the evidence files the answers name."),
    as_of: str | None = typer.Option(None, "--as-of"),
    out: Path | None = typer.Option(None, "--out", help="Write a signed report bundle into this new directory."),
    pdf: bool | None = typer.Option(
        None,
        "--pdf/--no-pdf",
        help="Include PDF reports in the bundle (default: when "
        "WeasyPrint is installed, i.e. tianping[pdf]; --pdf without it says what to install).",
    ),
    rescore: Path | None = typer.Option(
        None,
        "--rescore",
        help="Re-judge the stored evidence against the thresholds in this "
        "YAML file (metric id -> op/value/warn/min_n) without re-running any test.",
    ),
    rules: Path | None = typer.Option(None, "--rules", help="Verdict rules YAML (default: the bundled verdict_rules.yaml)."),
    fail_on: str = typer.Option(
        "never",
        "--fail-on",
        help="Exit 1 when: 'gate' = an obligation is not met; 'fail' = an "
        "obligation is not met, partial or has insufficient data; 'never' (default).",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Judge every obligation against the evidence; optionally write a signed report bundle."""
    from ..assessment.assess import VERDICT_TEXT, load_runs, runs_for_system
    from ..assessment.assess import assess as run_assess
    from ..assessment.checklists import load_answers, stored_answers
    from ..assessment.verdicts import load_overrides, load_rules
    from ..crypto import load_or_init_keys
    from .registry import _as_of

    policy = exit_policy(fail_on)
    if out is not None:
        check_new_dir(out, "--out")
    prof = _system(system)
    db = STATE.db()
    if evidence is not None and not evidence.is_dir():
        raise TianpingError(f"--evidence '{evidence}' is not a directory", title="bad option")
    overrides = load_overrides(rescore) if rescore else None
    verdict_rules = load_rules(rules) if rules else None
    af = load_answers(answers, evidence_dir=evidence) if answers else stored_answers(db, prof.id)
    run_ids = split_csv(runs)
    run_rows = load_runs(db, run_ids, prof.id) if run_ids is not None else runs_for_system(db, prof.id)
    result = run_assess(prof, runs=run_rows, answers=af, as_of=_as_of(as_of), overrides=overrides, rules=verdict_rules)
    bundle = key = None
    if out is not None:
        from ..extras import missing
        from ..reporting.build import build_bundle

        key = load_or_init_keys()
        # the report in English and Chinese, and in the interface language when it is another one
        langs = ("en", "zh") + ((STATE.lang,) if STATE.lang not in ("en", "zh") else ())
        bundle = build_bundle(db, result, out, key, langs=langs, pdf=not missing("weasyprint") if pdf is None else pdf)
    code = assessment_exit_code(result, policy)
    if as_json:
        emit_json({**result, "bundle": str(bundle) if bundle else None, "fail_on": policy, "exit_code": code})
        if code:
            raise typer.Exit(code)
        return
    table = Table(title=tr("assess_title", id=prof.id))
    for col in ("jurisdiction", "obligation", "verdict", "why"):
        table.add_column(tr(col), overflow="fold")
    for o in result["obligations"]:
        table.add_row(o["jurisdiction"], txt(o["title"]), VERDICT_TEXT[o["verdict"]][STATE.lang], txt(o["reasoning"]))
    console.print(table)
    console.print(" · ".join(f"{VERDICT_TEXT[k][STATE.lang]}: {n}" for k, n in result["totals"].items()), highlight=False)
    if bundle and key is not None:
        console.print(tr("bundle_written", path=bundle, fp=key.fingerprint), highlight=False)
    if code:
        console.print(tr("fail_on_hit", policy=policy), highlight=False)
        raise typer.Exit(code)


@guarded
def verify(
    bundle: Path = typer.Argument(..., help="A report bundle directory."),
    fingerprint: str | None = typer.Option(None, "--fingerprint", help="Require this signer fingerprint."),
    as_json: bool = JSON_OPT,
) -> None:
    """Check a bundle offline: every file's SHA-256 and the Ed25519 signature; name the first file that changed."""
    from ..reporting.bundle import verify_bundle

    res = verify_bundle(bundle, expected_fingerprint=fingerprint)
    if as_json:
        emit_json(res.as_dict())
        if not res.ok:
            raise typer.Exit(2)
        return
    if not res.ok:
        raise TianpingError(tr("bundle_bad", file=res.first_bad_file, problem=res.problem), title="verification failed")
    console.print(tr("bundle_ok", fp=res.fingerprint, n=res.files), highlight=False)


@checklist_app.command("template")
@guarded
def checklist_template(
    checklist: str = typer.Argument(..., help="aiverify, iso-iec-42001 or nist-ai-rmf"),
    system: str = typer.Option(..., "--system", help="System id the answers are for."),
    out: Path | None = typer.Option(None, "--out"),
) -> None:
    """Write an answers file to fill in, with every item's question as a comment."""
    from ..assessment.checklists import template
    from ..outputs import check_file, write_text

    if out is not None:
        check_file(out, "--out")
    text = template(checklist, system, STATE.lang)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text(out, text, "--out")
        console.print(tr("wrote", path=out), highlight=False)


@checklist_app.command("import")
@guarded
def checklist_import(
    file: Path = typer.Argument(...), evidence: Path | None = typer.Option(None, "--evidence"), as_json: bool = JSON_OPT
) -> None:
    """Validate an answers file and store it for the system (unknown ids or missing evidence: exit 2, nothing stored)."""
    from ..assessment.checklists import load_answers, store_answers

    af = load_answers(file, evidence_dir=evidence)
    _system(af.system)  # the system must be registered
    n = store_answers(STATE.db(), af)
    if as_json:
        emit_json({"system": af.system, "imported": n})
    else:
        console.print(tr("answers_imported", n=n, id=af.system), highlight=False)


@checklist_app.command("export")
@guarded
def checklist_export(system: str = typer.Argument(...), out: Path | None = typer.Option(None, "--out")) -> None:
    """Export the stored answers of a system as YAML."""
    from ..assessment.checklists import dump_answers, stored_answers
    from ..outputs import check_file, write_text

    if out is not None:
        check_file(out, "--out")
    text = dump_answers(stored_answers(STATE.db(), system))
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text(out, text, "--out")
        console.print(tr("wrote", path=out), highlight=False)
