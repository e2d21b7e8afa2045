"""lm-eval side of the harness-overhead benchmark (runs in .venv-peers).

A generate_until task read from the local prompts JSONL (the `json` builder of `datasets`, no
download) with the exact_match metric against "sorry", run through lm-eval's
`local-chat-completions` model type (OpenAI-compatible chat completions, `tokenizer_backend=None`
so no tokenizer is fetched, `num_concurrent` requests in flight) with the chat template applied
by the API. Offline switches: HF_HUB_OFFLINE, HF_DATASETS_OFFLINE, HF_HOME in --workdir. Results
and per-sample outputs are written to --workdir (`log_samples`). Prints one JSON line.

    .venv-peers/bin/python drive_lmeval.py --base-url URL --prompts prompts.jsonl --workdir DIR
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

T_START = time.perf_counter()

from driver_common import base_parser, cpu  # noqa: E402  (same folder; after T_START so set-up time counts it)

TASK_YAML = """task: tianping_overhead
dataset_path: json
dataset_kwargs:
  data_files:
    test: {prompts}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "sorry"
generation_kwargs:
  until: []
  max_gen_toks: 32
  do_sample: false
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
"""



def main() -> None:
    ap = base_parser(prompts=True)
    a = ap.parse_args()
    work = Path(a.workdir)
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(work / "hf-home"), TRANSFORMERS_OFFLINE="1",
                      HF_DATASETS_DISABLE_PROGRESS_BARS="1", TQDM_DISABLE="1", OPENAI_API_KEY="not-needed")
    tasks = work / "lmeval-tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    sub = work / "lmeval-prompts.jsonl"
    with open(a.prompts, encoding="utf-8") as src, sub.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= a.n:
                break
            dst.write(line)
    (tasks / "tianping_overhead.yaml").write_text(TASK_YAML.format(prompts=sub), encoding="utf-8")

    import lm_eval
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(tasks))
    setup_cpu, setup_wall = cpu(), time.perf_counter() - T_START
    t0, c0 = time.perf_counter(), cpu()
    res = lm_eval.simple_evaluate(
        model="local-chat-completions",
        model_args=f"model=stub,base_url={a.base_url}/chat/completions,num_concurrent={a.concurrency},max_retries=1,"
                   f"tokenized_requests=False,tokenizer_backend=None",
        tasks=["tianping_overhead"], task_manager=tm, apply_chat_template=True, log_samples=True, batch_size=1,
        limit=a.n, bootstrap_iters=0)
    # write results and per-sample outputs, as `lm_eval --output_path --log_samples` does
    out = work / "lmeval-results.json"
    samples = res.pop("samples", {})
    with out.open("w", encoding="utf-8") as fh:
        json.dump(res, fh, default=str)
    with (work / "lmeval-samples.jsonl").open("w", encoding="utf-8") as fh:
        for s in samples.get("tianping_overhead", []):
            fh.write(json.dumps(s, default=str, ensure_ascii=False) + "\n")
    eval_cpu, eval_wall = cpu() - c0, time.perf_counter() - t0
    r = res["results"]["tianping_overhead"]
    em = next((v for k, v in r.items() if k.startswith("exact_match") and "stderr" not in k), None)
    print(json.dumps({"tool": "lm-eval", "n": a.n, "ok": len(samples.get("tianping_overhead", [])), "exact_match": em,
                      "setup_cpu_s": setup_cpu, "setup_wall_s": setup_wall, "eval_cpu_s": eval_cpu, "eval_wall_s": eval_wall}),
          flush=True)


if __name__ == "__main__":
    main()
