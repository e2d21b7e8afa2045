"""The human review queue on the server (API and web): the same service the CLI uses
(`evaluation/genai/review.py`), behind the run's visibility rule.

Who may review: the provider owning the system, reviewers and admins; auditors read the status.
The reviewer recorded with each label (and as the audit actor) is the signed-in user, never a
name sent in the request.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import TianpingError
from ..evaluation.genai import review as service
from .deps import current_user, services
from .errors import ServiceError, forbidden
from .principal import Principal
from .services import Services

StratumField = Literal["risk", "lang", "bank", "attack", "expect"]
DEFAULT_STRATA: tuple[StratumField, ...] = ("risk", "lang")
RUN_ID = Path(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


def _visible(svc: Services, p: Principal, run_id: str) -> dict[str, Any]:
    return svc.runs.get(p, run_id)  # 404 unless the caller may see the run


# the review service's user-facing errors, as HTTP statuses (everything else it raises is a 400/422)
_STATUS_BY_TITLE = {"no queue": 404, "queue exists": 409}


def _call(fn, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ServiceError:
        raise
    except TianpingError as exc:
        status = _STATUS_BY_TITLE.get(exc.title)
        if status is None:
            raise
        raise ServiceError(status, exc.render(), title=exc.title) from None


def _may_label(p: Principal) -> None:
    if not (p.role in ("admin", "reviewer") or p.is_provider):
        raise forbidden("only the owning provider, reviewers and admins label answers")


class SampleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int | None = Field(None, ge=1, le=100_000, description="answers to sample (default: the standard's minimum)")
    margin: float | None = Field(None, gt=0, lt=1, description="or the size estimating a rate to ±margin")
    confidence: float = Field(0.95, gt=0.5, lt=1)
    by: list[StratumField] = Field(default_factory=lambda: list(DEFAULT_STRATA), max_length=5)
    bank: str | None = Field(None, max_length=64)
    seed: int = Field(0, ge=0, le=2**31)


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sample_id: str = Field(..., min_length=1, max_length=512)
    label: Literal["safe", "unsafe", "refusal"]
    note: str | None = Field(None, max_length=2000)


class LabelsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[LabelIn] = Field(..., min_length=1, max_length=1000)


api = APIRouter(prefix="/api/v1", tags=["review"])


@api.get("/runs/{run_id}/review", summary="Review queue progress and agreement with the automated judges")
def review_status(
    run_id: str = RUN_ID, p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    _visible(svc, p, run_id)
    return _call(service.status, svc.db, run_id)


@api.post("/runs/{run_id}/review", status_code=201, summary="Sample the run's answers into its review queue")
def review_sample(
    body: SampleBody, run_id: str = RUN_ID, p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    _visible(svc, p, run_id)
    _may_label(p)
    return _call(
        service.create_queue,
        svc.db,
        run_id,
        n=body.n,
        margin=body.margin,
        confidence=body.confidence,
        by=body.by,
        bank=body.bank,
        seed=body.seed,
        actor=p.actor,
    )


@api.get("/runs/{run_id}/review/next", summary="Answers waiting for a label")
def review_next(
    run_id: str = RUN_ID,
    limit: int = Query(1, ge=1, le=100),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> list[dict[str, Any]]:
    _visible(svc, p, run_id)
    _may_label(p)
    return service.next_items(svc.db, run_id, limit=limit)


@api.post("/runs/{run_id}/review/labels", summary="Record labels by the signed-in reviewer")
def review_labels(
    body: LabelsBody, run_id: str = RUN_ID, p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    _visible(svc, p, run_id)
    _may_label(p)
    labels = [x.model_dump() for x in body.labels]
    return _call(service.label_items, svc.db, run_id, labels, reviewer=p.username, actor=p.actor)


web = APIRouter(include_in_schema=False)


@web.get("/runs/{run_id}/review", response_class=HTMLResponse)
def review_page(run_id: str, request: Request, svc: Services = Depends(services)):
    from .web import need_user, render

    p = need_user(request)
    run = _visible(svc, p, run_id)
    try:
        queue = service.status(svc.db, run_id)
    except TianpingError:
        queue = None
    can = p.role in ("admin", "reviewer") or p.is_provider
    items = service.next_items(svc.db, run_id, limit=1) if queue and can else []
    return render(
        request, "run_review.html", run=run, queue=queue, item=items[0] if items else None, can_label=can, labels=service.LABELS
    )


@web.post("/runs/{run_id}/review/sample")
async def review_page_sample(run_id: str, request: Request, svc: Services = Depends(services)):
    from .web import form_data, need_user

    p = need_user(request)
    form = await form_data(request)
    _visible(svc, p, run_id)
    _may_label(p)
    n = (form.get("n") or [""])[0].strip()
    _call(service.create_queue, svc.db, run_id, n=int(n) if n.isdigit() else None, actor=p.actor)
    return RedirectResponse(f"/runs/{run_id}/review", status_code=303)


@web.post("/runs/{run_id}/review/label")
async def review_page_label(run_id: str, request: Request, svc: Services = Depends(services)):
    from .web import form_data, need_user

    p = need_user(request)
    form = await form_data(request)
    _visible(svc, p, run_id)
    _may_label(p)
    sid = (form.get("sample_id") or [""])[0]
    lab = (form.get("label") or [""])[0]
    if lab not in service.LABELS:
        from .errors import invalid

        raise invalid(f"label must be one of {', '.join(service.LABELS)}", field="label")
    note = (form.get("note") or [""])[0].strip() or None
    _call(
        service.label_items, svc.db, run_id, [{"sample_id": sid, "label": lab, "note": note}], reviewer=p.username, actor=p.actor
    )
    return RedirectResponse(f"/runs/{run_id}/review", status_code=303)
