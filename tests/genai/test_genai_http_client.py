"""The small keep-alive HTTP client of the OpenAI adapter: framing, reuse, stale connections, proxies."""

from __future__ import annotations

import asyncio
import json

import pytest

from tianping.evaluation.genai.adapters.http import FastHTTPClient, TransportError
from tianping.evaluation.genai.adapters.openai import OpenAITarget, _HttpxClient, make_client
from tianping.evaluation.genai.schema import GenParams

BODY = json.dumps({"choices": [{"message": {"content": "hello"}}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).encode()


async def _serve(mode: str):
    """A raw server whose replies are framed by `mode`; returns (server, url, stats)."""
    stats = {"connections": 0, "requests": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int([x.split(b":")[1] for x in head.lower().split(b"\r\n") if x.startswith(b"content-length")][0])
                await reader.readexactly(length)
                stats["requests"] += 1
                if mode == "chunked":
                    mid = len(BODY) // 2
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (mid, BODY[:mid], len(BODY) - mid, BODY[mid:]))
                elif mode == "close":  # no length: the body ends with the connection
                    writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY)
                    await writer.drain()
                    writer.close()
                    return
                elif mode == "one-per-conn":  # keep-alive promised, but the server drops idle connections
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                    await writer.drain()
                    writer.close()
                    return
                elif mode == "garbage":
                    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
                    await writer.drain()
                    writer.close()
                    return
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1", stats


@pytest.mark.parametrize("mode", ["length", "chunked", "close", "one-per-conn"])
def test_framings_and_connection_reuse(mode):
    async def go():
        server, url, stats = await _serve(mode)
        async with server:
            t = OpenAITarget("m", base_url=url, max_retries=0)
            assert isinstance(t._client, FastHTTPClient)
            texts = []
            for _ in range(5):
                texts.append((await t.generate([{"role": "user", "content": "hi"}], GenParams())).text)
            texts += [g.text for g in await asyncio.gather(*(t.generate([{"role": "user", "content": str(i)}], GenParams())
                                                               for i in range(8)))]
            await t.aclose()
            return texts, stats

    texts, stats = asyncio.run(go())
    assert texts == ["hello"] * 13 and stats["requests"] == 13
    if mode in ("length", "chunked"):
        assert stats["connections"] <= 8  # sequential calls reused one connection
    else:
        assert stats["connections"] == 13


def test_malformed_response_is_a_retriable_transport_error():
    async def go():
        server, url, _ = await _serve("garbage")
        async with server:
            c = FastHTTPClient(url, timeout=5)
            with pytest.raises(TransportError, match="malformed"):
                await c.post("/chat/completions", b"{}")
            t = OpenAITarget("m", base_url=url, max_retries=1, backoff=0.01)
            from tianping.evaluation.genai.adapters import TargetError

            with pytest.raises(TargetError, match="cannot reach .*gave up after 2 attempts"):
                await t.generate([{"role": "user", "content": "x"}], GenParams())

    asyncio.run(go())


def test_proxy_from_the_environment_uses_httpx(monkeypatch):
    for k in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(k, raising=False)
    assert isinstance(make_client("http://10.1.2.3:8000/v1", {}, 5), FastHTTPClient)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    assert isinstance(make_client("http://10.1.2.3:8000/v1", {}, 5), _HttpxClient)
    monkeypatch.setenv("NO_PROXY", "10.1.2.3")
    assert isinstance(make_client("http://10.1.2.3:8000/v1", {}, 5), FastHTTPClient)
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("TIANPING_HTTP_CLIENT", "httpx")
    assert isinstance(make_client("http://10.1.2.3:8000/v1", {}, 5), _HttpxClient)


def test_httpx_fallback_behaves_the_same(stub, monkeypatch):
    monkeypatch.setenv("TIANPING_HTTP_CLIENT", "httpx")
    t = OpenAITarget("flaky", base_url=stub.url, max_retries=3, backoff=0.01)
    assert isinstance(t._client, _HttpxClient)
    gen = asyncio.run(t.generate([{"role": "user", "content": "hi"}], GenParams()))
    assert gen.text and gen.prompt_tokens == 10 and stub.attempts["hi"] == 3
    t = OpenAITarget("hang", base_url=stub.url, timeout=0.3, max_retries=0)
    from tianping.evaluation.genai.adapters import TargetError

    with pytest.raises(TargetError, match="timed out"):
        asyncio.run(t.generate([{"role": "user", "content": "x"}], GenParams()))


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, made with `cryptography`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_pem, key_pem


def test_https_with_verification(tmp_path, monkeypatch):
    import ssl

    cert, key = _self_signed(tmp_path)

    async def go():
        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    n = int([x.split(b":")[1] for x in head.lower().split(b"\r\n") if x.startswith(b"content-length")][0])
                    await reader.readexactly(n)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
        async with server:
            monkeypatch.delenv("SSL_CERT_FILE", raising=False)
            untrusted = OpenAITarget("m", base_url=url, max_retries=0)  # certifi does not know our certificate
            from tianping.evaluation.genai.adapters import TargetError

            with pytest.raises(TargetError, match="cannot reach .*CERTIFICATE_VERIFY_FAILED"):
                await untrusted.generate([{"role": "user", "content": "x"}], GenParams())
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            t = OpenAITarget("m", base_url=url, max_retries=0)
            texts = [(await t.generate([{"role": "user", "content": "x"}], GenParams())).text for _ in range(3)]
            await t.aclose()
            await untrusted.aclose()
            return texts

    assert asyncio.run(go()) == ["hello"] * 3
