"""Targets: the models under test (OpenAI-compatible HTTP, local transformers, a Python callable).

`resolve_target("openai:MODEL" | "local[:PATH]" | "python:module:function")` builds one through
the `targets` registry, so a new kind of endpoint is a registered factory, not an engine change.
"""

from .base import Generation, Target, TargetError
from .factories import resolve_target

__all__ = ["Generation", "Target", "TargetError", "resolve_target"]
