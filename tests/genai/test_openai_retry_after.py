"""A 429/5xx reply is retried after the server's Retry-After (capped), without jitter."""

from __future__ import annotations

import asyncio

import pytest


class _Replies:
    """Stands in for the HTTP client: answers each POST with the next (status, headers, body)."""

    def __init__(self, *replies):
        self.replies = list(replies)

    async def post(self, path, body):
        return self.replies.pop(0)

    async def aclose(self):
        pass


def test_retry_after_is_waited_exactly_and_capped(monkeypatch):
    from tianping.evaluation.genai.adapters import openai as oa
    from tianping.evaluation.genai.schema import GenParams

    target = oa.OpenAITarget("m", base_url="http://127.0.0.1:9/v1", max_retries=2)
    ok = b'{"choices": [{"message": {"content": "hi"}}]}'
    target._client = _Replies((429, {"retry-after": "2"}, b""), (503, {"retry-after": "999"}, b""), (200, {}, ok))
    slept = []

    async def fake_sleep(s):
        slept.append(s)

    monkeypatch.setattr(oa.asyncio, "sleep", fake_sleep)
    gen = asyncio.run(target.generate([{"role": "user", "content": "q"}], GenParams()))
    assert gen.text == "hi"
    assert slept == [2.0, oa.BACKOFF_CAP_S]


def test_throttled_is_a_retriable_target_error():
    from tianping.evaluation.genai.adapters.base import TargetError
    from tianping.evaluation.genai.adapters.openai import Throttled

    err = Throttled("HTTP 429 from x")
    assert isinstance(err, TargetError) and err.retriable and err.retry_after is None
    with pytest.raises(TargetError, match="HTTP 429"):
        raise err
