"""Signing keys: create, refuse to overwrite, sign/verify, tamper detection, permissions."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given, strategies as st

from tianping.crypto import KeyPair, init_keys, load_keys, verify
from tianping.errors import TianpingError


def test_init_load_sign_verify(tmp_path):
    kp = init_keys(tmp_path)
    assert stat.S_IMODE((tmp_path / "ed25519.pem").stat().st_mode) == 0o600
    again = load_keys(tmp_path)
    assert again.fingerprint == kp.fingerprint and len(kp.fingerprint) == 64
    sig = kp.sign(b"hello")
    assert verify(kp.public_raw, sig, b"hello")
    assert not verify(kp.public_raw, sig, b"hellp")
    with pytest.raises(TianpingError):
        init_keys(tmp_path)  # never silently replaced
    assert init_keys(tmp_path, force=True).fingerprint != kp.fingerprint


def test_missing_and_corrupt_keys(tmp_path):
    with pytest.raises(TianpingError, match="keys init"):
        load_keys(tmp_path)
    (tmp_path / "ed25519.pem").write_text("not a key")
    with pytest.raises(TianpingError, match="cannot read"):
        load_keys(tmp_path)


KP = None


@given(st.binary(max_size=256), st.integers(0, 255), st.integers(0, 1000))
def test_any_single_byte_change_breaks_the_signature(data, value, pos):
    global KP
    if KP is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        KP = KeyPair(Ed25519PrivateKey.generate())
    sig = KP.sign(data)
    if data:
        i = pos % len(data)
        changed = data[:i] + bytes([(data[i] + 1 + value % 255) % 256]) + data[i + 1:]
        assert not verify(KP.public_raw, sig, changed)
    assert verify(KP.public_raw, sig, data)


def test_bundle_names_the_signature_file_for_every_single_bit_flip(tmp_path):
    """Regression: a flipped bit can make a base64 character invalid; that must still be reported
    as a bad manifest.sig, never raised as an unrelated error (seen once in CI, random key)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tianping.reporting.bundle import SIGNATURE, verify_bundle, write_bundle

    out = write_bundle(tmp_path / "b", {"a.txt": b"hello"}, KeyPair(Ed25519PrivateKey.generate()))
    original = (out / SIGNATURE).read_bytes()
    assert verify_bundle(out).ok
    for pos in range(len(original)):
        for bit in (0x01, 0x02, 0x20, 0x80):
            data = bytearray(original)
            data[pos] ^= bit
            (out / SIGNATURE).write_bytes(bytes(data))
            res = verify_bundle(out)
            assert not res.ok and res.first_bad_file == SIGNATURE, (pos, bit, res)
    (out / SIGNATURE).write_bytes(original)
