"""Execution: how evaluation runs are carried out, wherever they are started (CLI or server).

* `backends.py` — the execution backend interface: `local` (asyncio workers in this process, the
  default, needs nothing else) or `ray` (samples sharded across Ray actors on a cluster that never
  leaves 127.0.0.1 unless an address is given).
* `genai.py` / `tabular.py` — the server's real run kinds as domain workflows: validate a request,
  create the run through the engine's own service, execute it with progress, cancel and resume.
* `endpoints.py` — OpenAI-compatible endpoints registered for a system, their API keys encrypted
  at rest (`credentials.py`, Fernet) and never shown back, logged or written into a report.
"""
