"""Target specs on the command line → target objects, through the `targets` registry.

`openai:MODEL`            OpenAI-compatible endpoint from TIANPING_OPENAI_BASE_URL / OPENAI_BASE_URL
`local` / `local:PATH`    transformers model: the bundled SmolLM2 GGUF, a .gguf file or a model dir
`python:module:function`  a plain callable `fn(messages, params) -> str | dict` (sync or async)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from ....errors import TianpingError
from ..registry import target, targets
from ..schema import GenParams
from .base import Generation, Messages, Target, TargetError


class CallableTarget(Target):
    """Wraps a Python function; the function's qualified name is its identity."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or f"{fn.__module__}:{fn.__qualname__}"
        self._async = inspect.iscoroutinefunction(fn)

    def identity(self) -> str:
        return f"python:{self.name}"

    async def generate(self, messages: Messages, params: GenParams) -> Generation:
        try:
            out = self.fn(messages, params.model_dump())
            if self._async or inspect.isawaitable(out):
                out = await out
        except TargetError:
            raise
        except Exception as exc:  # the callable's failure is the sample's failure
            raise TargetError(f"{self.name} raised {exc.__class__.__name__}: {exc}") from None
        if isinstance(out, dict):
            return Generation(str(out.get("text", "")), out.get("prompt_tokens"), out.get("completion_tokens"))
        return Generation("" if out is None else str(out))


@target("openai")
def _openai(rest: str, options: dict[str, Any]) -> Target:
    """OpenAI-compatible chat completions over HTTP."""
    from .openai import OpenAITarget

    if not rest:
        raise TianpingError("write the target as openai:MODEL (e.g. openai:qwen2.5-7b-instruct)", title="bad target")
    keys = ("timeout", "max_retries", "backoff", "rate_limit", "base_url")
    return OpenAITarget(rest, **{k: v for k, v in options.items() if k in keys and v is not None})


@target("local")
def _local(rest: str, options: dict[str, Any]) -> Target:
    """A local transformers causal LM (default: the bundled SmolLM2-135M-Instruct GGUF), batched."""
    from .local import LocalTarget

    return LocalTarget(rest or None, batch_size=int(options.get("batch_size") or 8))


@target("python")
def _python(rest: str, options: dict[str, Any]) -> Target:
    """A Python callable given as module:function."""
    mod, _, fn = rest.partition(":")
    if not mod or not fn:
        raise TianpingError(f"write the target as python:module:function (got 'python:{rest}')", title="bad target")
    try:
        obj: Any = importlib.import_module(mod)
        for part in fn.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise TianpingError(f"cannot load python:{rest}: {exc}", title="bad target") from None
    if not callable(obj):
        raise TianpingError(f"python:{rest} is not callable", title="bad target")
    return CallableTarget(obj, rest)


def resolve_target(spec: str, **options: Any) -> Target:
    """Build the target named by `spec` (scheme:rest)."""
    scheme, _, rest = spec.partition(":")
    return targets.get(scheme)(rest, options)


# ---- small built-in callables, handy for smoke tests and the harness benchmark ----------------


def echo(messages: Messages, params: dict) -> str:
    """Repeats the last user message (never refuses)."""
    return messages[-1]["content"]


def always_refuse(messages: Messages, params: dict) -> str:
    """Always declines, in English."""
    return "I'm sorry, but I can't help with that request."
