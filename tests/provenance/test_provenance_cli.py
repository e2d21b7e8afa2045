"""`tianping label add/propagate/check`: JSON output, zh/en tables, batch folder mode with a summary."""

from __future__ import annotations

import json

from PIL import Image
from typer.testing import CliRunner

from tianping.cli.main import app

runner = CliRunner()


def test_add_and_check_batch_folder(tmp_path):
    d = tmp_path / "uploads"
    d.mkdir()
    (d / "a.txt").write_text("Generated answer.\n", encoding="utf-8")
    Image.new("RGB", (300, 200), (10, 20, 30)).save(d / "b.png")
    Image.new("RGB", (300, 200), (10, 20, 30)).save(d / "plain.png")
    (d / "human.txt").write_text("Written by a person.\n", encoding="utf-8")

    res = runner.invoke(app, ["label", "add", str(d / "a.txt"), "--producer", "Svc-01", "--sign", "--position", "end", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["implicit"]["ContentProducer"] == "Svc-01" and out["signed_by"]
    assert "cn-aigc-labeling:gb45438-explicit-text" in out["cites"]
    res = runner.invoke(app, ["label", "add", str(d / "b.png"), "--producer", "Svc-01", "--implicit", "--sign"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["label", "propagate", str(d / "b.png"), "--propagator", "Plat", "--sign", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["implicit"]["ContentPropagator"] == "Plat"

    res = runner.invoke(app, ["label", "check", str(d), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    by = {r["path"].rsplit("/", 1)[-1]: r for r in data["results"]}
    assert by["a.txt"]["verdict"] == "confirmed" and by["a.txt"]["explicit"] == "found"
    assert by["b.png"]["producer_signature"]["status"] == "valid" and by["b.png"]["propagator_signature"]["status"] == "valid"
    # the platform signed its own manifest with the producer's as parent: the chain validates
    assert by["b.png"]["c2pa"]["validation_state"] in ("Valid", "Trusted")
    assert [p["signer"] for p in by["b.png"]["c2pa"]["parents"]] == ["Svc-01"]
    assert by["plain.png"]["verdict"] == "none" and by["human.txt"]["verdict"] == "none"
    assert data["summary"]["files"] == 4 and data["summary"]["verdicts"]["confirmed"] == 2
    assert data["summary"]["signatures_valid"] == 2

    res = runner.invoke(app, ["--lang", "zh", "label", "check", str(d)])
    assert res.exit_code == 0
    flat = "".join(res.output.split())  # the table wraps long cells; the summary line is plain text
    assert "判定" in res.output and "共4个文件：属于2" in flat and "未发现2" in flat
    res = runner.invoke(app, ["--lang", "en", "label", "check", str(d / "plain.png"), "--declared"])
    assert res.exit_code == 0 and "1 possibly" in res.output


def test_check_text_watermark_suspected(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("plain words " * 50, encoding="utf-8")
    res = runner.invoke(app, ["label", "check", str(f), "--watermark-key", "k", "--json"])
    assert res.exit_code == 0
    r = json.loads(res.stdout)["results"][0]
    assert r["watermark"]["watermarked"] is False and r["verdict"] == "none"


def test_bad_input_exit_2(tmp_path):
    res = runner.invoke(app, ["label", "add", str(tmp_path / "missing.png"), "--producer", "P"])
    assert res.exit_code == 2 and "not found" in res.output
    f = tmp_path / "a.txt"
    f.write_text("x\n")
    res = runner.invoke(app, ["label", "add", str(f), "--producer", "P", "--position", "top"])
    assert res.exit_code == 2 and "--position" in res.output
    (tmp_path / "x.bin").write_bytes(b"\x00\x01\x02" * 10)
    res = runner.invoke(app, ["label", "check", str(tmp_path / "x.bin"), "--json"])
    assert res.exit_code == 2
    assert "unsupported format" in json.loads(res.stdout)["results"][0]["error"]
