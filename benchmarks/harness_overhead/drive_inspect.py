"""inspect-ai side of the harness-overhead benchmark (runs in .venv-peers).

A Task with a MemoryDataset of the N prompts, the `generate()` solver, the `includes()` scorer
(target "sorry": the stub always declines, so every sample scores correct), against the stub
through inspect's `openai-api` provider (service "stub": STUB_BASE_URL / STUB_API_KEY). The eval
log is written to --workdir as usual. Prints one JSON line with set-up and evaluation CPU/wall.

    .venv-peers/bin/python drive_inspect.py --base-url URL --prompts prompts.jsonl --workdir DIR
"""

from __future__ import annotations

import json
import os
import time

T_START = time.perf_counter()

from driver_common import base_parser, cpu  # noqa: E402  (same folder; after T_START so set-up time counts it)



def main() -> None:
    ap = base_parser(prompts=True)
    a = ap.parse_args()
    os.environ.update(STUB_BASE_URL=a.base_url, STUB_API_KEY="not-needed", INSPECT_LOG_DIR=os.path.join(a.workdir, "inspect-logs"),
                      INSPECT_DISPLAY="none", HF_HUB_OFFLINE="1", INSPECT_TELEMETRY="", NO_COLOR="1")

    from inspect_ai import Task, eval as inspect_eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate

    prompts = [json.loads(x)["prompt"] for x in open(a.prompts, encoding="utf-8")][: a.n]
    task = Task(dataset=MemoryDataset([Sample(input=p, target="sorry", id=i) for i, p in enumerate(prompts)]),
                solver=generate(), scorer=includes())
    setup_cpu, setup_wall = cpu(), time.perf_counter() - T_START
    t0, c0 = time.perf_counter(), cpu()
    logs = inspect_eval(task, model="openai-api/stub/stub", max_connections=a.concurrency, max_tokens=32, temperature=0.0,
                        display="none", log_dir=os.path.join(a.workdir, "inspect-logs"), max_retries=1)
    eval_cpu, eval_wall = cpu() - c0, time.perf_counter() - t0
    log = logs[0]
    acc = None
    try:
        acc = log.results.scores[0].metrics["accuracy"].value
    except (AttributeError, IndexError, KeyError, TypeError):
        pass
    print(json.dumps({"tool": "inspect-ai", "n": len(prompts), "status": log.status,
                      "ok": log.results.completed_samples if log.results else 0, "accuracy": acc,
                      "error": str(log.error.message)[:300] if log.error else None,
                      "setup_cpu_s": setup_cpu, "setup_wall_s": setup_wall, "eval_cpu_s": eval_cpu, "eval_wall_s": eval_wall}),
          flush=True)


if __name__ == "__main__":
    main()
