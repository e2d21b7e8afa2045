"""The real run kinds of the server: `genai` and `tabular` (thin: the workflows live in `tianping.execution`).

Each kind has a `create` hook (validate the request; the run row is written by the engine's own
service or with the engine's config) and a job handler that executes the run on the configured
backend (`local` or `ray`) while holding the run's lease, reporting progress and stopping when the
run is cancelled. Importing this module registers both.
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

from ..execution import genai as genai_flow
from ..execution import tabular as tabular_flow
from ..execution.backends import BackendChoice
from ..i18n import texts
from ..plugins import server_run_kinds
from ..store.models import RunRow
from .jobs import JobContext, JobInterrupted, job_handler
from .runs import RUN_KINDS, RunKind, RunService, register_run_kind
from .security import now_iso


def backend_choice(settings: Any) -> BackendChoice:
    return BackendChoice.from_options(
        getattr(settings, "backend", None), getattr(settings, "ray_address", None), getattr(settings, "ray_actors", None)
    )


log = logging.getLogger("tianping.server.runs")


def _infrastructure(exc: BaseException) -> bool:
    """A failure of the execution backend (a Ray actor, node or head lost), not of the run's input."""
    ray_exc = sys.modules.get("ray.exceptions")
    return bool(ray_exc is not None and isinstance(exc, getattr(ray_exc, "RayError", ())))


def _retry_on_infrastructure(ctx: JobContext, fn):
    """Run `fn`; when the backend itself failed, put the job back (it resumes from what was stored,
    at most `max_attempts` times, waiting a little longer each time) instead of failing the run."""
    try:
        return fn()
    except Exception as exc:
        if not _infrastructure(exc):
            raise
        log.warning("run %s: execution backend failed (%s); the job goes back to the queue", ctx.run_id, type(exc).__name__)
        ctx.sleep(min(30.0, 2.0**ctx.attempt))
        raise JobInterrupted(f"execution backend failed: {type(exc).__name__}") from None


def _endpoints(ctx: JobContext):
    from ..execution.credentials import Vault
    from ..execution.endpoints import EndpointService

    st = ctx.settings
    try:
        return EndpointService(ctx.db, Vault.from_config(getattr(st, "credentials_key", None), getattr(st, "secret_key", None)))
    except Exception:  # noqa: BLE001 - only runs on a registered endpoint need it; they fail with the reason
        return None


# -- genai -------------------------------------------------------------------------------------
def _create_genai(rs: RunService, system_id: str, cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if cfg.get("target", "local") == "local" and not getattr(rs.settings, "local_model_runs", True):
        from .errors import invalid

        raise invalid("this server does not run the bundled local model; register an endpoint", field="config.target")
    return genai_flow.create(rs.db, system_id, cfg, rs.endpoints)


@job_handler("genai")
def run_genai(ctx: JobContext) -> dict[str, Any] | None:
    _retry_on_infrastructure(
        ctx,
        lambda: genai_flow.execute(
            ctx.db,
            ctx.run,
            choice=backend_choice(ctx.settings),
            endpoints=_endpoints(ctx),
            lease=ctx.lease,
            progress=lambda frac, msg: ctx.progress(frac, msg),
        ),
    )
    return None  # the engine's finalize stored the results document (and with it the evidence)


# -- tabular -----------------------------------------------------------------------------------
def _create_tabular(rs: RunService, system_id: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from ..config import data_home

    cfg = tabular_flow.prepare(system_id, raw, rs.uploads, data_home() / "runs")
    run_id = str(uuid.uuid4())
    target = (cfg["_files"].get("model") or {}).get("name") or f"predictions:{cfg.get('predictions')}"
    with rs.db.session() as s:
        s.add(
            RunRow(
                id=run_id,
                system_id=system_id,
                kind="tabular",
                suite=",".join(cfg.get("tests") or ["all"])[:64],
                target=str(target)[:200],
                config=cfg,
                status="pending",
                created_at=now_iso(),
            )
        )
    return run_id, {"config": cfg}


@job_handler("tabular")
def run_tabular(ctx: JobContext) -> dict[str, Any]:
    return _retry_on_infrastructure(
        ctx,
        lambda: tabular_flow.execute(
            ctx.run,
            ctx.payload["config"],
            choice=backend_choice(ctx.settings),
            progress=lambda frac, msg: ctx.progress(frac, msg),
            heartbeat=ctx.heartbeat,
        ),
    )


register_run_kind(
    RunKind(
        name="genai",
        job_kind="genai",
        create=_create_genai,
        engine="genai",
        max_attempts=5,
        title=texts("run_kind.genai.title"),
        description=texts("run_kind.genai.description"),
    )
)
register_run_kind(
    RunKind(
        name="tabular",
        job_kind="tabular",
        create=_create_tabular,
        engine="tabular",
        title=texts("run_kind.tabular.title"),
        description=texts("run_kind.tabular.description"),
    )
)
# plug-in run kinds (entry points `tianping.run_kinds`), checked against the kinds registered so far (tianping/plugins.py)
for _plugin_kind in server_run_kinds(RUN_KINDS):
    register_run_kind(_plugin_kind)
