"""OpenAI-compatible chat completions over HTTP (vLLM, Ollama, llama.cpp server, commercial APIs).

The base URL and key come from the environment (`TIANPING_OPENAI_BASE_URL` / `OPENAI_BASE_URL`,
`TIANPING_OPENAI_API_KEY` / `OPENAI_API_KEY`) so keys never land in run configs or logs.
Transient failures (connection errors, timeouts, 429, 5xx) are retried with exponential backoff
and jitter, honouring `Retry-After`, up to a hard cap: a dead endpoint costs a bounded time per
sample and is then recorded as that sample's error.

Requests go through the small keep-alive client in `http.py` (a few tens of microseconds of CPU per
call, where httpx costs about a millisecond); httpx is used instead when a proxy from the
environment applies to the endpoint or `TIANPING_HTTP_CLIENT=httpx` is set. One client (one
connection pool) serves the whole run.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

from ..schema import GenParams
from .base import Generation, Messages, Target, TargetError
from .http import FastHTTPClient, TransportError, proxy_for

# one signature for both parsers, so the fallback assignment type-checks against orjson's
_loads: Callable[[bytes | str], Any]

try:  # orjson ships with the project's dependencies (compliance-trestle); plain json otherwise
    import orjson

    def _dumps(obj) -> bytes:
        return orjson.dumps(obj)

    _loads = orjson.loads
except ImportError:  # pragma: no cover

    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    _loads = json.loads

MAX_RETRIES_CAP = 10
BACKOFF_CAP_S = 30.0


class Throttled(TargetError):
    """HTTP 429 or 5xx: worth retrying, after the server's Retry-After (seconds, capped) when it sent one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retriable=True)
        self.retry_after: float | None = None


def env_base_url() -> str | None:
    return os.environ.get("TIANPING_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")


class RateLimiter:
    """At most `rate` request starts per second (a simple spacing limiter shared by all tasks)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


class _HttpxClient:
    """The same `post` interface over httpx (proxies from the environment, HTTP/1.1 pooling)."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float) -> None:
        import httpx

        self._httpx = httpx
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        httpx = self._httpx
        try:
            resp = await self._client.post(path, content=body, headers={"content-type": "application/json"})
        except httpx.TimeoutException:
            raise TimeoutError() from None
        except httpx.TransportError as exc:
            raise TransportError(f"{exc.__class__.__name__}: {exc}") from None
        return resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content

    async def aclose(self) -> None:
        await self._client.aclose()


def make_client(base_url: str, headers: dict[str, str], timeout: float):
    """The fast client, or httpx when a proxy applies or TIANPING_HTTP_CLIENT=httpx."""
    if os.environ.get("TIANPING_HTTP_CLIENT", "").lower() == "httpx" or proxy_for(base_url):
        return _HttpxClient(base_url, headers, timeout)
    return FastHTTPClient(base_url, headers, timeout=timeout)


class OpenAITarget(Target):
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        rate_limit: float | None = None,
    ) -> None:
        base = base_url or env_base_url()
        if not base:
            from ....errors import TianpingError

            raise TianpingError(
                "set TIANPING_OPENAI_BASE_URL (or OPENAI_BASE_URL) to the endpoint, e.g. http://127.0.0.1:8000/v1",
                title="no endpoint",
            )
        self.model = model
        self.base_url = base.rstrip("/")
        key = api_key or os.environ.get("TIANPING_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.max_retries = max(0, min(int(max_retries), MAX_RETRIES_CAP))  # never infinite
        self.backoff = backoff
        self.timeout = timeout
        self.limiter = RateLimiter(rate_limit)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = make_client(self.base_url, headers, timeout)

    def identity(self) -> str:
        return f"openai:{self.base_url}:{self.model}"

    def _payload(self, messages: Messages, params: GenParams) -> dict:
        msgs = list(messages)
        if params.system:
            msgs = [{"role": "system", "content": params.system}] + [m for m in msgs if m["role"] != "system"]
        body: dict = {
            "model": self.model,
            "messages": msgs,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        return body

    async def generate(self, messages: Messages, params: GenParams) -> Generation:
        body = _dumps(self._payload(messages, params))
        attempt = 0
        while True:
            await self.limiter.wait()
            try:
                return await self._once(body)
            except TargetError as exc:
                if not exc.retriable or attempt >= self.max_retries:
                    if attempt:
                        raise TargetError(f"{exc} (gave up after {attempt + 1} attempts)") from None
                    raise
                delay = getattr(exc, "retry_after", None) or min(BACKOFF_CAP_S, self.backoff * 2**attempt)
                await asyncio.sleep(delay * (0.5 + random.random() / 2) if not getattr(exc, "retry_after", None) else delay)
                attempt += 1

    async def _once(self, body: bytes) -> Generation:
        try:
            status, headers, content = await self._client.post("/chat/completions", body)
        except TimeoutError:
            raise TargetError(f"timed out after {self.timeout:g} s calling {self.base_url}", retriable=True) from None
        except TransportError as exc:
            raise TargetError(f"cannot reach {self.base_url}: {exc}", retriable=True) from None
        if status == 429 or status >= 500:
            err = Throttled(f"HTTP {status} from {self.base_url}")
            ra = headers.get("retry-after")
            if ra:
                try:
                    err.retry_after = min(BACKOFF_CAP_S, float(ra))
                except ValueError:
                    pass
            raise err
        if status >= 400:
            raise TargetError(f"HTTP {status} from {self.base_url}: {content[:200].decode('utf-8', 'replace')}")
        try:
            data = _loads(content)
            text = data["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise TargetError(f"malformed response from {self.base_url}: {content[:200].decode('utf-8', 'replace')}") from None
        usage = data.get("usage") or {}
        return Generation(text, usage.get("prompt_tokens"), usage.get("completion_tokens"))

    async def aclose(self) -> None:
        await self._client.aclose()
