"""Fixtures of the generative-AI tests: a stub endpoint, a fresh database, the local model once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from genai_stub import Stub  # noqa: E402

from genai_paths import SHARED_LLM  # noqa: E402,F401


@pytest.fixture
def stub(monkeypatch):
    with Stub() as s:
        monkeypatch.setenv("TIANPING_OPENAI_BASE_URL", s.url)
        yield s


@pytest.fixture
def genai_db(tmp_path):
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path / 'genai.db'}")
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def smollm2():
    """The bundled SmolLM2-135M-Instruct, loaded once per test session."""
    from tianping.llm.local import load_local_model

    return load_local_model()
