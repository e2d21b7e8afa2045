"""A small keep-alive HTTP/1.1 client for JSON POSTs, on asyncio protocols and `httptools`.

Why not httpx for every call: against a fast local server (vLLM, llama.cpp, a stub) httpx's
layers (anyio streams, h11, the connection-pool state machine) cost about a millisecond of CPU
per request, more than all the rest of an evaluation. This client does one thing — send a
prepared POST over a pooled connection and parse the reply with the C parser `httptools`
(llhttp) — for a few tens of microseconds. It speaks http and https (stdlib `ssl`, certifi's CA
bundle when present, `SSL_CERT_FILE` honoured). Proxies are not implemented: `pick_transport`
falls back to httpx when a proxy environment variable applies to the endpoint, or when
`TIANPING_HTTP_CLIENT=httpx`.

Errors are `TransportError` (connection refused or dropped, bad response bytes) and
`TimeoutError` (the whole exchange — connect, send, receive — exceeded the timeout).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections import deque
from urllib.parse import urlsplit

import httptools


class TransportError(Exception):
    """The exchange failed below HTTP (connect, reset, malformed response)."""


class _Conn(asyncio.Protocol):
    __slots__ = ("transport", "parser", "fut", "closed", "status", "headers", "body", "got_headers", "framed", "got_bytes")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.fut: asyncio.Future | None = None
        self.closed = False
        self.got_bytes = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.got_headers = False
        self.framed = False

    # asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc) -> None:
        self.closed = True
        fut = self.fut
        if fut is not None and not fut.done():
            if self.got_headers and not self.framed:  # body delimited by the end of the connection
                fut.set_result((self.status, self.headers, b"".join(self.body), False))
            else:
                self._fail(TransportError(f"connection closed by the server{': ' + str(exc) if exc else ''}"))

    # httptools callbacks -------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._reset()

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        self.headers[key] = value.decode("latin-1")
        if key in ("content-length", "transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.got_headers = True
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        fut = self.fut
        if fut is not None and not fut.done():
            fut.set_result((self.status, self.headers, b"".join(self.body), self.parser.should_keep_alive()))

    # ---------------------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        if self.fut is not None and not self.fut.done():
            self.fut.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _ssl_context() -> ssl.SSLContext:
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with httpx
        return ssl.create_default_context()


class FastHTTPClient:
    """POSTs to one origin over a pool of keep-alive connections (no limit but the caller's concurrency)."""

    def __init__(
        self, base_url: str, headers: dict[str, str] | None = None, *, timeout: float = 60.0, max_idle: int = 64
    ) -> None:
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.host = u.hostname
        self.tls = u.scheme == "https"
        self.port = u.port or (443 if self.tls else 80)
        self.prefix = u.path.rstrip("/")
        default_port = self.port == (443 if self.tls else 80)
        hostport = (f"[{self.host}]" if ":" in self.host else self.host) + ("" if default_port else f":{self.port}")
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head = (
            f"Host: {hostport}\r\nUser-Agent: tianping\r\nAccept: application/json\r\nContent-Type: application/json\r\n{extra}"
        ).encode("latin-1")
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: deque[_Conn] = deque()
        self._ssl = _ssl_context() if self.tls else None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                _Conn, self.host, self.port, ssl=self._ssl, server_hostname=self.host if self.tls else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"{exc.__class__.__name__}: {exc}") from None
        return conn

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """(status, lower-cased headers, body). Raises TransportError or TimeoutError."""
        req = b"".join(
            (
                b"POST ",
                (self.prefix + path).encode("latin-1"),
                b" HTTP/1.1\r\n",
                self._head,
                b"Content-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the loop that opened them
            self._idle.clear()
            self._loop = loop
        async with asyncio.timeout(self.timeout):
            while True:
                while self._idle and self._idle[-1].closed:  # dropped by the server while idle
                    self._idle.pop()
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    status, headers, data, keep = await self._exchange(conn, req)
                except TransportError:
                    conn.close()
                    # a pooled connection the server had already closed: nothing was received, try a fresh one
                    if reused and not conn.got_bytes:
                        continue
                    raise
                except BaseException:  # timeout or cancellation: the connection's state is unknown
                    conn.close()
                    raise
                if keep and not conn.closed and len(self._idle) < self.max_idle:
                    self._idle.append(conn)
                else:
                    conn.close()
                return status, headers, data

    @staticmethod
    async def _exchange(conn: _Conn, req: bytes):
        conn.got_bytes = False
        if conn.closed or conn.transport is None or conn.transport.is_closing():
            raise TransportError("connection closed")
        fut = asyncio.get_running_loop().create_future()
        conn.fut = fut
        conn.transport.write(req)
        try:
            return await fut
        finally:
            conn.fut = None

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


def proxy_for(url: str) -> str | None:
    """The proxy that the environment (HTTP(S)_PROXY, NO_PROXY) sets for `url`, if any."""
    import urllib.request

    u = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(u.scheme) or proxies.get("all")
    if not proxy:
        return None
    if u.hostname and urllib.request.proxy_bypass(u.hostname):
        return None
    return proxy
