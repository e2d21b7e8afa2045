"""Fixtures for the provenance tests (helpers live in pv_samples.py, a unique module name)."""

from __future__ import annotations

import pytest

from pv_samples import make_sample


@pytest.fixture
def sample(tmp_path):
    return lambda fmt, seed=0: make_sample(fmt, tmp_path, seed)


@pytest.fixture(scope="session")
def keys_a(tmp_path_factory):
    from tianping.crypto import init_keys

    return init_keys(tmp_path_factory.mktemp("keys-a"))


@pytest.fixture(scope="session")
def keys_b(tmp_path_factory):
    from tianping.crypto import init_keys

    return init_keys(tmp_path_factory.mktemp("keys-b"))


@pytest.fixture(scope="session")
def local_model():
    """The bundled SmolLM2 model, loaded once per test session."""
    from tianping.llm.local import load_local_model

    return load_local_model()
