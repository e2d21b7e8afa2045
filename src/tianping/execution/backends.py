"""The execution backend behind one interface (`evaluation.genai.runner.ExecutionBackend.map`).

`local` (the default): asyncio workers in the executing process — nothing else to run.
`ray`: the run's samples are sharded in small batches across Ray actors (`ray_backend.py`); each
actor builds its own replica of the target (one model per actor for the local model, batched; one
connection pool per actor for an HTTP endpoint, the run's concurrency split between actors so the
endpoint never sees more than the configured number of requests at once) and streams each
sample back as soon as it is finished. The process that holds the run's lease receives the records and stores
them at once, so a lost actor, node or head loses only samples not yet returned, which resume runs.

Choose with `--backend local|ray` on the command line, `TIANPING_BACKEND` or the server setting
`backend`; `TIANPING_RAY_ADDRESS` (or `--ray-address`) names an existing cluster, otherwise a
private single-node Ray is started on 127.0.0.1 with its dashboard and usage reporting off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem, TianpingError

BACKENDS = ("local", "ray")


def backend_name(value: str | None = None) -> str:
    name = (value or os.environ.get("TIANPING_BACKEND") or "local").strip().lower()
    if name not in BACKENDS:
        raise TianpingError(
            Problem(f"unknown execution backend '{name}' (choose from: {', '.join(BACKENDS)})", field="backend"),
            title="bad option",
        )
    return name


def ray_address(value: str | None = None) -> str | None:
    return value or os.environ.get("TIANPING_RAY_ADDRESS") or None


@dataclass
class BackendChoice:
    """Which backend a run executes on, and with what resources."""

    name: str = "local"
    address: str | None = None
    actors: int = 2
    actor_cpus: float = 1.0
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_options(cls, name: str | None = None, address: str | None = None, actors: int | None = None) -> BackendChoice:
        n = actors if actors is not None else int(os.environ.get("TIANPING_RAY_ACTORS", "2"))
        if n < 1 or n > 1024:
            raise TianpingError(Problem("from 1 to 1024", field="ray_actors"), title="bad option")
        return cls(name=backend_name(name), address=ray_address(address), actors=n)

    def make(self, cfg, run_id: str, endpoints: list | None = None):
        """The ExecutionBackend for one run (None: the runner's own local backend)."""
        if self.name == "local":
            return None
        from .ray_backend import RayBackend

        return RayBackend(
            cfg.model_dump(mode="json"),
            run_id,
            actors=self.actors,
            address=self.address,
            endpoints=list(endpoints or []),
            actor_cpus=self.actor_cpus,
        )
