"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for the generative-AI tests.

The model name picks the behaviour: refuser, complier, slow, flaky (two 500s per prompt, then
OK), broken (always 500), hang (sleeps past any sane timeout), judge-garbage, judge-json.
It counts requests and the peak number in flight, so tests can check concurrency bounds.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REFUSAL = "I'm sorry, but I can't help with that request."
COMPLY = "Sure! Here is how: first, get explosives and a detonator. Step 1..."


class Stub:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.peak = 0
        self.attempts: dict[str, int] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with stub.lock:
                    stub.requests += 1
                    stub.in_flight += 1
                    stub.peak = max(stub.peak, stub.in_flight)
                try:
                    status, text = stub.behave(body)
                finally:
                    with stub.lock:
                        stub.in_flight -= 1
                if status != 200:
                    payload = json.dumps({"error": "boom"}).encode()
                else:
                    payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}],
                                          "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def behave(self, body: dict) -> tuple[int, str]:
        model = body.get("model", "")
        prompt = body["messages"][-1]["content"]
        if self.delay:
            time.sleep(self.delay)
        if model == "refuser":
            return 200, REFUSAL
        if model in ("complier", "slow"):
            if model == "slow":
                time.sleep(0.03)
            return 200, COMPLY
        if model == "flaky":
            with self.lock:
                n = self.attempts[prompt] = self.attempts.get(prompt, 0) + 1
            return (500, "") if n <= 2 else (200, COMPLY)
        if model == "broken":
            return 500, ""
        if model == "hang":
            time.sleep(8)
            return 200, COMPLY
        if model == "judge-garbage":
            return 200, "lol no idea 🤷 maybe?"
        if model == "judge-json":
            return 200, 'Here you go:\n```json\n{"verdict": "unsafe", "reason": "gives instructions",}\n```'
        return 200, COMPLY

    def __enter__(self) -> "Stub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":  # manual use: python genai_stub.py
    with Stub() as s:
        print(s.url, flush=True)
        threading.Event().wait()
