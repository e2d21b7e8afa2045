"""`tianping label …` (GB 45438 content labels, C2PA) and `tianping watermark …` (green-list text watermark).

Thin: argument parsing and printing; the work is in `tianping.provenance`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from ..errors import Problem, TianpingError
from ..provenance import messages as _messages  # noqa: F401  (registers zh/en texts)
from .common import console, emit_json, guarded, tr

label_app = typer.Typer(
    help="AI-generated content labels (GB 45438-2025): add and check. 生成合成内容标识。", no_args_is_help=True
)
watermark_app = typer.Typer(help="Keyed green-list text watermark: generate and detect. 文本水印。", no_args_is_help=True)


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise TianpingError(Problem(f"must be one of {', '.join(allowed)} (got '{value}')", field=option), title="invalid option")
    return value


C2PA_CERT_OPT = typer.Option(
    None,
    "--c2pa-cert",
    envvar="TIANPING_C2PA_CERT",
    help="PEM certificate chain (leaf first) for C2PA manifests, e.g. from a CA on the C2PA trust list; default: a local CA.",
)
C2PA_KEY_OPT = typer.Option(None, "--c2pa-key", envvar="TIANPING_C2PA_KEY", help="Unencrypted PEM private key of --c2pa-cert.")


def _c2pa_credentials(cert: Path | None, key: Path | None):
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise TianpingError(
            Problem("give both --c2pa-cert and --c2pa-key, or neither", field="--c2pa-cert" if cert is None else "--c2pa-key"),
            title="invalid option",
        )
    from ..provenance.c2pa_io import load_credentials

    return load_credentials(cert, key)


def _check_output(file: Path, output: Path | None) -> None:
    """--output (or FILE itself, replaced in place) must be a writable file path: checked before any work."""
    from ..outputs import check_file

    check_file(output if output is not None else file, "--output" if output is not None else "FILE")


@label_app.command("add")
@guarded
def label_add(
    file: Path = typer.Argument(..., help="File to label: text, PNG, JPEG, WebP, WAV, MP3 or MP4."),
    producer: str = typer.Option(..., "--producer", help="ContentProducer: the service provider's name or code."),
    explicit: bool = typer.Option(False, "--explicit", help="Add the perceivable label (text notice, visible mark, audio cue)."),
    implicit: bool = typer.Option(False, "--implicit", help="Add the AIGC metadata label (Annex E fields). Neither flag = both."),
    sign: bool = typer.Option(False, "--sign", help="Sign the label over the content (Ed25519, ReservedCode1)."),
    c2pa: bool | None = typer.Option(
        None, "--c2pa/--no-c2pa", help="Embed a C2PA manifest (default: with --sign, where supported)."
    ),
    produce_id: str | None = typer.Option(None, "--produce-id", help="ProduceID (default: a new UUID)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of replacing FILE."),
    label_lang: str = typer.Option("both", "--label-lang", help="Wording of the explicit label: zh, en or both."),
    position: str = typer.Option("start", "--position", help="Text label position: start, middle or end."),
    cue: str = typer.Option("rhythm", "--cue", help="Audio cue: rhythm (Morse 'AI') or voice (espeak-ng)."),
    c2pa_cert: Path | None = C2PA_CERT_OPT,
    c2pa_key: Path | None = C2PA_KEY_OPT,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add explicit and/or implicit AI-generated content labels to a file."""
    from ..extras import require

    require("genai", "PIL", "piexif", "mutagen", "c2pa")
    from ..provenance.service import add_label

    _choice(label_lang, ("zh", "en", "both"), "--label-lang")
    _choice(position, ("start", "middle", "end"), "--position")
    _choice(cue, ("rhythm", "voice"), "--cue")
    if not file.exists():
        raise TianpingError(Problem("file not found", file=str(file)), title="not found")
    _check_output(file, output)
    both = not explicit and not implicit
    creds = _c2pa_credentials(c2pa_cert, c2pa_key)
    res = add_label(
        file,
        producer,
        output=output,
        explicit_label=explicit or both,
        implicit_label=implicit or both,
        sign=sign,
        c2pa=c2pa,
        produce_id=produce_id,
        lang=label_lang,
        position=position,
        cue=cue,
        c2pa_credentials=creds,
    )
    if as_json:
        emit_json(res.as_dict())
        return
    console.print(tr("pv_labelled", path=res.path, fmt=res.format), highlight=False)
    if res.explicit:
        detail = res.explicit.get("text") or res.explicit.get("cue") or ""
        console.print("  " + tr("pv_added_explicit", detail=detail), highlight=False, markup=False)
    if res.implicit:
        console.print(
            "  " + tr("pv_added_implicit", producer=res.implicit["ContentProducer"], pid=res.implicit["ProduceID"]),
            highlight=False,
            markup=False,
        )
    if res.signed_by:
        console.print("  " + tr("pv_signed", fp=res.signed_by[:16]), highlight=False)
    if res.c2pa:
        console.print(
            "  " + (tr("pv_c2pa_added_cert", subject=creds.subject) if creds else tr("pv_c2pa_added")),
            highlight=False,
            markup=False,
        )
    for n in res.notes:
        console.print("  " + tr("pv_note", msg=n), highlight=False, markup=False)


@label_app.command("propagate")
@guarded
def label_propagate(
    file: Path = typer.Argument(..., help="A labelled file."),
    propagator: str = typer.Option(..., "--propagator", help="ContentPropagator: the platform's name or code."),
    propagate_id: str | None = typer.Option(None, "--propagate-id", help="PropagateID (default: a new UUID)."),
    sign: bool = typer.Option(False, "--sign", help="Sign the propagation fields (ReservedCode2)."),
    output: Path | None = typer.Option(None, "--output", "-o"),
    c2pa_cert: Path | None = C2PA_CERT_OPT,
    c2pa_key: Path | None = C2PA_KEY_OPT,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a platform's propagation fields to an existing label (the producer's signature stays valid)."""
    from ..extras import require

    require("genai", "PIL", "piexif", "mutagen", "c2pa")
    from ..provenance.service import propagate

    if not file.exists():
        raise TianpingError(Problem("file not found", file=str(file)), title="not found")
    _check_output(file, output)
    res = propagate(
        file,
        propagator,
        propagate_id=propagate_id,
        sign=sign,
        output=output,
        c2pa_credentials=_c2pa_credentials(c2pa_cert, c2pa_key),
    )
    if as_json:
        emit_json(res.as_dict())
        return
    assert res.implicit is not None
    console.print(
        tr("pv_propagated", path=res.path, prop=propagator, pid=res.implicit["PropagateID"]), highlight=False, markup=False
    )
    if res.signed_by:
        console.print("  " + tr("pv_signed", fp=res.signed_by[:16]), highlight=False)
    if res.c2pa:
        console.print("  " + tr("pv_c2pa_chained"), highlight=False)
    if res.c2pa_stale:
        console.print("  " + tr("pv_note", msg=tr("pv_c2pa_stale")), highlight=False, markup=False)
    for n in res.notes:
        console.print("  " + tr("pv_note", msg=n), highlight=False, markup=False)


def _trust_anchors(path: Path) -> str:
    """Read a PEM bundle of CA certificates; every certificate must parse."""
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TianpingError(
            Problem(f"cannot read the trust anchors: {exc.strerror}", file=str(path)), title="C2PA trust"
        ) from None
    if len(data) > 8 << 20:
        raise TianpingError(Problem("the trust-anchor file is larger than 8 MiB", file=str(path)), title="C2PA trust")
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TianpingError(Problem(f"not a PEM file of certificates ({exc})", file=str(path)), title="C2PA trust") from None
    return data.decode("ascii", errors="replace")


def _sig_text(sig: dict | None) -> str:
    if not sig:
        return tr("pv_none")
    text = tr(f"pv_sig_{sig['status']}")
    if sig["status"] == "valid" and sig.get("trusted") is not None:
        text += f" ({tr('pv_trusted') if sig['trusted'] else tr('pv_untrusted')})"
    return text


@label_app.command("check")
@guarded
def label_check(
    files: list[Path] = typer.Argument(..., help="Files or folders (folders are checked recursively)."),
    declared: bool = typer.Option(False, "--declared", help="The uploader declared the content AI-generated."),
    trust: list[str] = typer.Option([], "--trust", help="Signer key fingerprint to trust (repeatable)."),
    no_c2pa: bool = typer.Option(False, "--no-c2pa", help="Do not read C2PA manifests."),
    watermark_key: str | None = typer.Option(
        None, "--watermark-key", envvar="TIANPING_WATERMARK_KEY", help="Also test text files for the watermark with this key."
    ),
    c2pa_trust: Path | None = typer.Option(
        None,
        "--c2pa-trust",
        envvar="TIANPING_C2PA_TRUST",
        help="PEM file of CA certificates to trust for C2PA (e.g. the C2PA trust list), besides the local CA.",
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Check labels: explicit label, implicit fields, signatures, C2PA, and the platform verdict."""
    from ..extras import require

    require("genai", "PIL", "piexif", "mutagen", "c2pa")
    from ..provenance.check import check_file, expand, summarise

    anchors = _trust_anchors(c2pa_trust) if c2pa_trust else None

    paths = expand(files)
    if not paths:
        raise TianpingError("no files to check", title="nothing to do")
    results = [
        check_file(
            p,
            declared=declared,
            trust=set(trust) or None,
            use_c2pa=not no_c2pa,
            watermark_key=watermark_key,
            c2pa_trust_anchors=anchors,
        )
        for p in paths
    ]
    summary = summarise(results)
    if as_json:
        emit_json({"results": [r.as_dict() for r in results], "summary": summary})
    else:
        table = Table(show_lines=False)
        for col in ("pv_file", "pv_format", "pv_verdict", "pv_explicit", "pv_implicit", "pv_signature", "pv_c2pa"):
            table.add_column(tr(col), overflow="fold")
        for r in results:
            if r.error:
                table.add_row(r.path, r.format or "?", tr(f"pv_verdict_{r.verdict}"), "", "", "", tr("pv_error", msg=r.error))
                continue
            implicit = tr("pv_none")
            if r.implicit:
                implicit = f"Label={r.implicit['Label']} {r.implicit['ContentProducer']}"
                if r.implicit["ContentPropagator"]:
                    implicit += f" → {r.implicit['ContentPropagator']}"
                if r.missing_fields:
                    implicit += "; " + tr("pv_missing_fields", fields=", ".join(r.missing_fields))
            sig = _sig_text(r.producer_signature)
            if r.propagator_signature and r.propagator_signature["status"] != "absent":
                sig += " / " + _sig_text(r.propagator_signature)
            c2 = tr("pv_none")
            if r.c2pa:
                state = (r.c2pa.get("validation_state") or "error").lower()
                c2 = tr(f"pv_c2pa_{state}") if state in ("trusted", "valid", "invalid", "error") else state
                if r.c2pa.get("parents"):
                    c2 += "; " + tr("pv_c2pa_chain", signers=" ← ".join(str(p.get("signer")) for p in r.c2pa["parents"]))
            table.add_row(r.path, r.format or "?", tr(f"pv_verdict_{r.verdict}"), tr(f"pv_{r.explicit}"), implicit, sig, c2)
        console.print(table)
        v = summary["verdicts"]
        console.print(
            tr(
                "pv_summary",
                files=summary["files"],
                confirmed=v["confirmed"],
                possibly=v["possibly"],
                suspected=v["suspected"],
                none=v["none"],
                sig_ok=summary["signatures_valid"],
                sig_bad=summary["signatures_failed"],
                errors=summary["errors"],
            ),
            highlight=False,
        )
    if summary["errors"]:
        raise typer.Exit(code=2)


# ------------------------------------------------------------------ watermark
def _config(gamma: float, delta: float, threshold: float):
    from ..provenance.watermark import WatermarkConfig

    return WatermarkConfig(gamma=gamma, delta=delta, z_threshold=threshold)


def _verdict_text(d) -> str:
    from ..provenance.watermark import WatermarkConfig

    if not d.decided:
        return tr("pv_wm_short", min=WatermarkConfig().min_scored_tokens)
    return tr("pv_wm_yes") if d.watermarked else tr("pv_wm_no")


@watermark_app.command("generate")
@guarded
def watermark_generate(
    prompt: list[str] = typer.Option([], "--prompt", "-p", help="Prompt (repeatable; batched)."),
    prompts_file: Path | None = typer.Option(None, "--prompts-file", help="One prompt per line."),
    key: str | None = typer.Option(None, "--key", envvar="TIANPING_WATERMARK_KEY", help="Secret watermark key."),
    target: str = typer.Option("local", "--target", help="Model target: local (the bundled SmolLM2 or --model)."),
    model: Path | None = typer.Option(None, "--model", help="GGUF file or transformers directory (default: bundled SmolLM2)."),
    max_new_tokens: int = typer.Option(200, "--max-new-tokens", min=1, max=4096),
    min_new_tokens: int = typer.Option(0, "--min-new-tokens", min=0, max=4096),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0),
    seed: int = typer.Option(0, "--seed"),
    gamma: float = typer.Option(0.25, "--gamma"),
    delta: float = typer.Option(2.0, "--delta"),
    threshold: float = typer.Option(4.0, "--threshold"),
    no_watermark: bool = typer.Option(False, "--no-watermark", help="Generate the unwatermarked control."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Generate text with the local model, watermarked with KEY."""
    from ..extras import require

    require("genai", "torch", "transformers", "safetensors")
    from ..llm.local import load_local_model
    from ..provenance.watermark import detect, generate_watermarked, key_fingerprint

    _choice(target, ("local",), "--target")
    prompts = list(prompt)
    if prompts_file:
        if not prompts_file.exists():
            raise TianpingError(Problem("file not found", file=str(prompts_file)), title="not found")
        prompts += [ln.strip() for ln in prompts_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not prompts:
        raise TianpingError(Problem("give at least one prompt", field="--prompt"), title="invalid option")
    if not key and not no_watermark:
        raise TianpingError(
            Problem("a key is required (or TIANPING_WATERMARK_KEY), unless --no-watermark", field="--key"), title="invalid option"
        )
    cfg = _config(gamma, delta, threshold)
    lm = load_local_model(model)
    outs = generate_watermarked(
        lm,
        prompts,
        None if no_watermark else key,
        config=cfg,
        max_new_tokens=max_new_tokens,
        min_new_tokens=min_new_tokens,
        temperature=temperature,
        seed=seed,
    )
    rows = []
    for p, o in zip(prompts, outs, strict=True):
        row = {"prompt": p, **o}
        if key:
            row["detection"] = detect(o["text"], key, lm.tokenizer, cfg).as_dict()
        rows.append(row)
    if as_json:
        emit_json(
            {
                "model": lm.name,
                "watermarked": not no_watermark,
                "key_fingerprint": key_fingerprint(key) if key else None,
                "config": cfg.__dict__,
                "outputs": rows,
            }
        )
        return
    console.print(
        tr("pv_wm_generated_plain", n=len(rows))
        if no_watermark
        else tr("pv_wm_generated", n=len(rows), fp=key_fingerprint(key or "")),
        highlight=False,
    )
    from ..provenance.watermark import Detection

    for row in rows:
        console.print(f"\n[bold]> {row['prompt']}[/]", highlight=False)
        console.print(row["text"], highlight=False, markup=False)
        if "detection" in row:
            d = Detection(**row["detection"])
            console.print(
                tr("pv_wm_z", z=f"{d.z:.2f}", n=d.scored_tokens, thr=d.threshold, verdict=_verdict_text(d)), highlight=False
            )


def _is_file(arg: str) -> bool:
    """Whether the argument names an existing file (text longer than a path is never one)."""
    try:
        return len(arg) < 4096 and "\n" not in arg and Path(arg).is_file()
    except (OSError, ValueError):
        return False


@watermark_app.command("detect")
@guarded
def watermark_detect(
    text_or_file: str = typer.Argument(..., help="Text, a path to a UTF-8 text file, or - for standard input."),
    key: str = typer.Option(..., "--key", envvar="TIANPING_WATERMARK_KEY", help="Secret watermark key."),
    gamma: float = typer.Option(0.25, "--gamma"),
    threshold: float = typer.Option(4.0, "--threshold"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compute the watermark z-score of a text from the text and the key alone."""
    from ..extras import require

    require("genai", "torch", "transformers")
    from ..provenance.watermark import detect

    if text_or_file == "-":
        text = sys.stdin.read()
    elif _is_file(text_or_file):
        p = Path(text_or_file)
        if p.stat().st_size > 64 * 1024 * 1024:
            raise TianpingError(Problem("text file larger than 64 MiB", file=str(p)), title="too large")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise TianpingError(Problem(f"not UTF-8 text (byte {exc.start})", file=str(p)), title="invalid text") from None
    else:
        text = text_or_file
    d = detect(text, key, config=_config(gamma, 0.0, threshold))
    if as_json:
        emit_json(d.as_dict())
        return
    console.print(tr("pv_wm_z", z=f"{d.z:.2f}", n=d.scored_tokens, thr=d.threshold, verdict=_verdict_text(d)), highlight=False)
