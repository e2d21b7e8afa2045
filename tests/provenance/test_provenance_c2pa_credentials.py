"""C2PA with the user's own certificate chain (as a CA on the C2PA trust list would issue it) instead of
the local CA; trust anchors given to `label check`; bad credential files fail with exit code 2."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from pv_samples import make_sample
from tianping.cli.main import app


def _ca_and_leaf(tmp_path, *, curve=True):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Studio 示例"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Studio")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp_path / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "root.pem").write_bytes(ca.public_bytes(pem))
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "other.key").write_bytes(other.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "chain.pem", tmp_path / "leaf.key", tmp_path / "root.pem", tmp_path / "other.key"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "wav"])
def test_user_certificate_signs_and_trust_anchor_is_honoured(fmt, tmp_path):
    chain, key, root, _ = _ca_and_leaf(tmp_path)
    f = make_sample(fmt, tmp_path, 3)
    runner = CliRunner()
    res = runner.invoke(app, ["label", "add", str(f), "--producer", "Studio", "--implicit", "--sign",
                              "--c2pa-cert", str(chain), "--c2pa-key", str(key)])
    assert res.exit_code == 0, res.output
    assert "Example Studio" in res.output
    # without the root as a trust anchor: intact but not trusted
    out = json.loads(runner.invoke(app, ["label", "check", str(f), "--json"]).stdout)["results"][0]
    assert out["c2pa"]["validation_state"] == "Valid" and out["c2pa"]["signer"] == "Example Studio 示例"
    assert any("untrusted" in x for x in out["c2pa"]["failures"])
    # with it: trusted
    out = json.loads(runner.invoke(app, ["label", "check", str(f), "--c2pa-trust", str(root), "--json"]).stdout)["results"][0]
    assert out["c2pa"]["validation_state"] == "Trusted" and not out["c2pa"]["failures"], out["c2pa"]
    assert out["verdict"] == "confirmed" and out["producer_signature"]["status"] == "valid"
    # a platform propagates with its own (here: the same) credentials; the chain validates and is trusted
    res = runner.invoke(app, ["label", "propagate", str(f), "--propagator", "Plat", "--sign",
                              "--c2pa-cert", str(chain), "--c2pa-key", str(key), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(runner.invoke(app, ["label", "check", str(f), "--c2pa-trust", str(root), "--json"]).stdout)["results"][0]
    assert out["c2pa"]["validation_state"] == "Trusted" and [p["signer"] for p in out["c2pa"]["parents"]] == ["Example Studio 示例"]


def test_bad_credentials_exit_2_naming_the_file(tmp_path):
    chain, key, root, other = _ca_and_leaf(tmp_path)
    f = make_sample("png", tmp_path, 4)
    runner = CliRunner()
    cases = [
        (["--c2pa-cert", str(chain), "--c2pa-key", str(other)], "other.key", "does not belong"),
        (["--c2pa-cert", str(key), "--c2pa-key", str(key)], "leaf.key", "PEM certificate"),
        (["--c2pa-cert", str(chain), "--c2pa-key", str(chain)], "chain.pem", "private key"),
        (["--c2pa-cert", str(tmp_path / "missing.pem"), "--c2pa-key", str(key)], "missing.pem", "cannot read"),
        (["--c2pa-cert", str(chain)], "--c2pa-key", "both"),
    ]
    before = f.read_bytes()
    for extra, named, why in cases:
        res = runner.invoke(app, ["label", "add", str(f), "--producer", "P", "--sign", *extra])
        assert res.exit_code == 2, (extra, res.output)
        assert named in res.output and why in res.output, (extra, res.output)
        assert f.read_bytes() == before  # nothing written
    (tmp_path / "junk.pem").write_text("not a certificate")
    res = runner.invoke(app, ["label", "check", str(f), "--c2pa-trust", str(tmp_path / "junk.pem")])
    assert res.exit_code == 2 and "junk.pem" in res.output
