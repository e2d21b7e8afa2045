"""The interface every target implements, and the error it raises when a call fails.

A target error is never fatal to a run: the runner records it on the sample (status "error")
and moves on, so an unreachable endpoint yields a complete run of failed samples, not a crash.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..schema import GenParams

Messages = list[dict[str, str]]


class TargetError(Exception):
    """A call to the target failed (after any retries); the message is shown to the user."""

    def __init__(self, message: str, *, retriable: bool = False) -> None:
        super().__init__(message)
        self.retriable = retriable


@dataclass
class Generation:
    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Target(ABC):
    """A model under test. `max_batch` > 1 tells the runner that concurrent calls are batched."""

    max_batch: int = 1

    @abstractmethod
    def identity(self) -> str:
        """A stable string naming the model and endpoint: part of the response-cache key."""

    @abstractmethod
    async def generate(self, messages: Messages, params: GenParams) -> Generation:
        """One chat completion for `messages`; raises TargetError on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections or threads."""
