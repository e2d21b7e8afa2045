"""A run kind that gives neither `create` nor `prepare` (a plug-in's mistake) fails with its name,
not with "'NoneType' object is not callable" (regression: RunService.start called a None prepare)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def test_start_names_a_run_kind_without_create_or_prepare(monkeypatch):
    from tianping.server import stub  # noqa: F401  (registers the "stub" job handler the kind borrows)
    from tianping.server.principal import Principal
    from tianping.server.runs import RUN_KINDS, RunKind, RunService

    monkeypatch.setitem(RUN_KINDS, "acme-empty", RunKind(name="acme-empty", title={"en": "x"}, job_kind="stub"))
    service = SimpleNamespace(owned_profile=lambda p, system_id: object(), settings=None)
    who = Principal("u1", "alice", "Alice", "provider", None, None)
    with pytest.raises(RuntimeError, match="run kind 'acme-empty' has neither create nor prepare"):
        RunService.start(service, who, "sys-1", "acme-empty", None)  # a stand-in service: no database needed
