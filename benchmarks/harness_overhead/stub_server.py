"""An instant OpenAI-compatible endpoint on 127.0.0.1 for the harness-overhead benchmark.

It runs in a process of its own, so its CPU is never counted against a harness, and it does as
little as possible per request: a raw asyncio protocol (no HTTP framework), HTTP/1.1 keep-alive,
the body skipped by its Content-Length without being parsed, and one pre-built response. Every
POST gets the same chat completion; `GET /v1/models` lists one model (some clients ask first).
Any other request is answered 404. It prints its base URL on stdout once it listens, then
serves until killed (or until `--max-seconds`, so a forgotten stub does not stay up).

    python benchmarks/harness_overhead/stub_server.py [--port 0] [--text "..."] [--max-seconds 3600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

DEFAULT_TEXT = "I'm sorry, but I can't help with that request."


def build_responses(text: str) -> tuple[bytes, bytes, bytes]:
    chat = json.dumps({
        "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": "stub",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                     "logprobs": None}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 11, "total_tokens": 23},
    }, separators=(",", ":")).encode()
    models = json.dumps({"object": "list", "data": [{"id": "stub", "object": "model", "created": 0, "owned_by": "stub"}]},
                        separators=(",", ":")).encode()

    def http(status: str, body: bytes) -> bytes:
        return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                f"connection: keep-alive\r\n\r\n").encode() + body

    return http("200 OK", chat), http("200 OK", models), http("404 Not Found", b'{"error":"not found"}')


class StubProtocol(asyncio.Protocol):
    """One connection: parse request heads, skip bodies by Content-Length, answer in order."""

    chat = models = missing = b""
    served = 0

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buf = bytearray()
        self.need = 0  # body bytes still to skip
        self.pending: bytes | None = None  # response to send once the body is in

    def data_received(self, data: bytes) -> None:
        self.buf += data
        out = []
        while True:
            if self.pending is not None:
                if len(self.buf) < self.need:
                    break
                del self.buf[: self.need]
                out.append(self.pending)
                StubProtocol.served += 1
                self.pending, self.need = None, 0
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(self.buf[:end]).lower()
            del self.buf[: end + 4]
            first = head.split(b"\r\n", 1)[0]
            length = 0
            i = head.find(b"content-length:")
            if i >= 0:
                j = head.find(b"\r\n", i)
                length = int(head[i + 15: j if j >= 0 else len(head)].strip() or 0)
            if first.startswith(b"post") and b"/chat/completions" in first:
                resp = self.chat
            elif first.startswith(b"get") and b"/models" in first:
                resp = self.models
            else:
                resp = self.missing
            self.pending, self.need = resp, length
        if out:
            self.transport.write(b"".join(out))


async def serve(port: int, text: str, max_seconds: float) -> None:
    StubProtocol.chat, StubProtocol.models, StubProtocol.missing = build_responses(text)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StubProtocol, "127.0.0.1", port, backlog=1024, reuse_address=True)
    host, real_port = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{real_port}/v1", flush=True)
    async with server:
        await asyncio.sleep(max_seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--text", default=DEFAULT_TEXT, help="the assistant message every completion returns")
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="stop by itself after this long")
    a = ap.parse_args()
    try:
        import uvloop  # optional: an even cheaper loop if present

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(serve(a.port, a.text, a.max_seconds))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
