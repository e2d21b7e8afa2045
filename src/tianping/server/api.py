"""REST API under /api/v1: thin routes over the services (no logic of their own).

Lists are paginated (`limit`, `offset`; the body says `total`). A system's representation has
an ETag; updates and workflow transitions need it back in If-Match (428 without, 412 when
stale), so two people editing the same filing never overwrite each other silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, File, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..assessment.checklists import CHECKLISTS, AnswersFile, all_items, checklist_items, store_answers, stored_answers
from ..assessment.plan import plan_dict, plan_for
from ..assessment.verdicts import MinSamples, Overrides, ThresholdOverride
from ..audit import AuditLog
from ..catalog.schema import ProvisionKind
from ..errors import Problem, TianpingError
from . import accounts
from .deps import current_user, role_in, services
from .errors import invalid, not_found
from .fastread import FastJSON, dumps
from .filings import STATES, TRANSITIONS, parse_profile
from .principal import ROLES, Principal
from .questions import questions
from .reports import verify_archive
from .runs import run_kinds
from .security import client_address
from .services import Services, recent_events

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": desc,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    for code, desc in (
        (400, "Bad request"),
        (401, "Not authenticated"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflict"),
        (412, "Precondition failed"),
        (413, "Upload too large"),
        (422, "Invalid input"),
        (428, "Precondition required"),
        (429, "Too many requests"),
    )
}

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
# filings.STATES as a type (mypy cannot build a Literal from a tuple constant);
# tests/server/test_api_filing_state.py keeps the two equal
FilingState = Literal["draft", "submitted", "under_review", "approved", "returned", "published", "changed", "withdrawn"]
# jurisdictions: any code the rules' normaliser accepts (ISO 3166-1/-2, EU, ASEAN, COE), case-insensitive;
# the packs' own codes (bundled and plug-in) are tianping.plugins.jurisdictions(), never a list here
JURISDICTION_LIST = r"^\s*[A-Za-z]{2,5}(-[A-Za-z0-9]{1,3})?\s*(,\s*[A-Za-z]{2,5}(-[A-Za-z0-9]{1,3})?\s*)*$"


def _jurisdiction_codes(raw: str) -> list[str]:
    from ..rules.jurisdictions import normalise

    codes, problems = [], []
    for j in (x.strip() for x in raw.split(",")):
        if not j:
            continue
        try:
            codes.append(normalise(j))
        except ValueError as exc:
            problems.append(str(exc))
    if problems or not codes:
        raise invalid("; ".join(problems) or "give at least one jurisdiction code", field="jurisdictions")
    return list(dict.fromkeys(codes))


# parameter declarations are made fresh for every route: FastAPI records the parameter name on them
def _limit():
    return Query(20, ge=1, le=100, description="Page size.")


def _offset():
    return Query(0, ge=0, le=1_000_000, description="Items to skip.")


def _system_id():
    return Path(..., min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9\-]{1,62}[a-z0-9]$")


def _uuid():
    return Path(..., pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- schemas ---------------------------------------------------------------------------------
class ProblemDetails(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    problems: list[dict[str, Any]] | None = None


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field("api", max_length=100)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = Field(None, description="false: deactivate (every session and token ends at once).")
    password: str | None = Field(
        None, min_length=10, max_length=1024, description="A new password (ends every session and token of the user)."
    )


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    user: dict[str, Any]


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["submit", "start_review", "approve", "return", "publish", "withdraw"]
    comment: str | None = Field(None, max_length=4000)
    effective_date: dt.date | None = Field(None, description="withdraw: the day the service ends (deadline counts from it).")


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(
        ..., max_length=32, description="A run kind from /run-kinds: genai, tabular (stub only where demo runs are on)."
    )
    config: dict[str, Any] = Field(default_factory=dict)


class EndpointRequest(BaseModel):
    """An OpenAI-compatible endpoint for the system's generative runs; the key is stored encrypted and never returned."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    base_url: str = Field(min_length=8, max_length=500, examples=["http://127.0.0.1:8000/v1"])
    model: str = Field(min_length=1, max_length=200)
    api_key: str | None = Field(None, max_length=4096, json_schema_extra={"writeOnly": True})


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # at least 5 characters once surrounding white space is stripped (what the service checks)
    message: str = Field(min_length=5, max_length=4000, pattern=r"^\s*\S[\s\S]{3,}\S\s*$")
    contact: str | None = Field(None, max_length=200)
    lang: Literal["en", "zh"] = "en"


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "rejected"]


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=10, max_length=1024)
    role: Literal["provider", "reviewer", "auditor", "admin"]
    organisation: str | None = Field(None, max_length=200)
    display_name: str | None = Field(None, max_length=200)


def page(items: list, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _as_of(value: dt.date | None) -> dt.date | None:
    return value


def _client(request: Request) -> str:
    return client_address(request)  # X-Forwarded-For believed only from trusted proxies


def _with_etag(view: dict[str, Any], status: int = 200, location: str | None = None) -> JSONResponse:
    headers = {}
    if view.get("filing"):
        headers["ETag"] = view["filing"]["etag"]
    if location:
        headers["Location"] = location
    return JSONResponse(view, status_code=status, headers=headers)


# -- meta and auth ---------------------------------------------------------------------------
_HEALTH = dumps({"status": "ok", "version": __version__})


@router.get("/health", tags=["meta"], summary="Liveness and version")
async def health() -> FastJSON:
    return FastJSON(_HEALTH)


# -- the hot reads (first in the route table, served on the event loop: see fastread.py) ------
@router.get("/public/systems", tags=["public register"], response_model=Page, summary="Published systems (no login)")
async def public_systems(
    q: str | None = Query(None, max_length=100), limit: int = _limit(), offset: int = _offset(), svc: Services = Depends(services)
) -> FastJSON:
    items, total = await svc.reads.public_list(q, limit, offset)
    return FastJSON(page(items, total, limit, offset))


@router.get("/public/systems/{system_id}", tags=["public register"], summary="A published entry")
async def public_system(system_id: str = _system_id(), svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(await svc.reads.public_get(system_id))


@router.get("/systems", tags=["systems"], response_model=Page, summary="Systems you may see")
async def list_systems(
    status: FilingState | None = None,
    q: str | None = Query(None, max_length=100),
    limit: int = _limit(),
    offset: int = _offset(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> FastJSON:
    items, total = await svc.reads.system_list(p, status, q, limit, offset)
    return FastJSON(page(items, total, limit, offset))


@router.get("/systems/{system_id}", tags=["systems"], summary="A system: profile, filing state, deadline, ETag")
async def get_system(
    system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> FastJSON:
    view = await svc.reads.system_get(p, system_id)
    return FastJSON(view, headers={"ETag": view["filing"]["etag"]} if view.get("filing") else None)


@router.post(
    "/auth/token", tags=["auth"], status_code=201, response_model=TokenOut, summary="Exchange a password for an API token"
)
def token(body: TokenRequest, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    p = accounts.authenticate(svc.db, svc.limiter, body.username, body.password, _client(request))
    tok = accounts.create_token(svc.db, p, body.name)
    return {"token": tok, "token_type": "bearer", "user": _me(p)}


@router.delete(
    "/auth/token",
    tags=["auth"],
    status_code=204,
    response_class=Response,
    summary="Log out: revoke the token used for this request (or end the browser sessions)",
)
def revoke(request: Request, p: Principal = Depends(current_user), svc: Services = Depends(services)) -> Response:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        accounts.revoke_token(svc.db, auth[7:].strip())
    else:  # authenticated by the session cookie: every session of this user ends, server-side
        accounts.end_sessions(svc.db, p.user_id)
    return Response(status_code=204)


@router.put(
    "/me/password",
    tags=["auth"],
    status_code=204,
    response_class=Response,
    summary="Change your password (ends every session and revokes every API token)",
)
def change_password(body: PasswordChange, p: Principal = Depends(current_user), svc: Services = Depends(services)) -> Response:
    accounts.set_password(svc.db, p.username, body.new_password, actor=p.actor, current_password=body.current_password)
    return Response(status_code=204)


def _me(p: Principal) -> dict[str, Any]:
    return {"username": p.username, "display_name": p.display_name, "role": p.role, "organisation": p.organisation_name}


@router.get("/me", tags=["auth"], summary="The authenticated user")
def me(p: Principal = Depends(current_user)) -> dict[str, Any]:
    return _me(p)


# -- catalog (public data) -------------------------------------------------------------------
@router.get("/catalog/instruments", tags=["catalog"], response_model=Page, summary="Instruments in the catalog")
def instruments(limit: int = _limit(), offset: int = _offset(), svc: Services = Depends(services)) -> dict[str, Any]:
    items = svc.catalog.list_instruments()
    return page(items[offset : offset + limit], len(items), limit, offset)


@router.get("/catalog/instruments/{instrument_id}", tags=["catalog"], summary="One instrument with its provisions")
def instrument(
    instrument_id: str = Path(..., max_length=64), kind: ProvisionKind | None = Query(None), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.catalog.show_instrument(instrument_id, kind.value if kind else None)


@router.get("/catalog/provisions/{qid}", tags=["catalog"], summary="One provision")
def provision(qid: str = Path(..., max_length=160), svc: Services = Depends(services)) -> dict[str, Any]:
    return svc.catalog.provision(qid)


@router.get("/catalog/principles", tags=["catalog"], summary="The shared principles")
def principles(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    return svc.catalog.principles()


@router.get("/catalog/search", tags=["catalog"], summary="Full-text search (Chinese or English)")
def search(
    q: str = Query(..., min_length=1, max_length=200),
    lang: Literal["en", "zh"] | None = None,
    limit: int = Query(20, ge=1, le=100),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    hits = svc.catalog.search(q, lang=lang, limit=limit)
    return {"query": q, "items": [h.__dict__ for h in hits]}


@router.get("/catalog/crosswalk/{qid}", tags=["catalog"], summary="Corresponding provisions in other instruments")
def crosswalk(
    qid: str = Path(..., max_length=160),
    to: str | None = Query(None, max_length=1000, description="Comma-separated instrument ids."),
    via_principles: bool = False,
    max_hops: int = Query(2, ge=1, le=3),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    targets = [t.strip() for t in to.split(",") if t.strip()] if to else None
    return {"from": qid, "items": svc.catalog.crosswalk(qid, to=targets, via_principles=via_principles, max_hops=max_hops)}


@router.get("/catalog/matrix", tags=["catalog"], summary="Crosswalk matrix: direct mappings between each pair of instruments")
def matrix(instruments: str | None = Query(None, max_length=2000), svc: Services = Depends(services)) -> dict[str, Any]:
    chosen = [i.strip() for i in instruments.split(",") if i.strip()] if instruments else None
    return svc.crosswalk_matrix(chosen)


@router.get("/checklists/{checklist}", tags=["checklists"], summary="Items of a process checklist")
def checklist(
    checklist: str = Path(
        ...,
        max_length=100,
        description="A checklist of the loaded catalog (bundled or plug-in), e.g. aiverify, iso-iec-42001, nist-ai-rmf",
    ),
) -> dict[str, Any]:
    from ..plugins import checklists

    known = checklists()
    if checklist not in known:
        raise not_found(f"checklist '{checklist}' (known: {', '.join(known)})")
    return {"checklist": checklist, "items": [i.__dict__ for i in checklist_items(checklist)]}


@router.get("/questionnaire", tags=["systems"], summary="Registration questions for the chosen jurisdictions")
def questionnaire(
    jurisdictions: str = Query(
        "EU,CN",
        max_length=200,
        pattern=JURISDICTION_LIST,
        description=(
            "Comma-separated jurisdiction codes: ISO 3166-1 (VN), ISO 3166-2 (US-CO) or a group (EU, ASEAN, COE), "
            "case-insensitive"
        ),
    ),
    lang: Literal["en", "zh"] = "en",
) -> dict[str, Any]:
    js = _jurisdiction_codes(jurisdictions)
    return {"jurisdictions": js, "questions": questions(js, lang)}


# -- systems and filings ---------------------------------------------------------------------
@router.post("/systems", tags=["systems"], status_code=201, summary="Register a system (starts a draft filing)")
def create_system(
    profile: dict[str, Any] = Body(..., description="An AI-system profile (see the AISystem schema)."),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> JSONResponse:
    view = svc.filings.create(p, parse_profile(profile))
    return _with_etag(view, 201, f"/api/v1/systems/{view['id']}")


@router.put("/systems/{system_id}", tags=["systems"], summary="Replace the profile (needs If-Match)")
def update_system(
    system_id: str = _system_id(),
    profile: dict[str, Any] = Body(...),
    if_match: str | None = Header(None, max_length=200),
    effective_date: dt.date | None = Query(None, description="For a published system: when the change takes effect."),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> JSONResponse:
    view = svc.filings.update(
        p, system_id, parse_profile(profile), if_match, effective_date.isoformat() if effective_date else None
    )
    return _with_etag(view)


@router.post("/systems/{system_id}/transitions", tags=["filing"], summary="Move the filing through the workflow (needs If-Match)")
def transition(
    body: TransitionRequest,
    system_id: str = _system_id(),
    if_match: str | None = Header(None, max_length=200),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> JSONResponse:
    view = svc.filings.transition(
        p,
        system_id,
        body.action,
        if_match,
        comment=body.comment,
        effective_date=body.effective_date.isoformat() if body.effective_date else None,
    )
    return _with_etag(view)


@router.get("/filing/workflow", tags=["filing"], summary="States, transitions, roles and deadlines")
def workflow() -> dict[str, Any]:
    from .filings import DEADLINE_CITE, DEADLINE_DAYS

    return {
        "states": list(STATES),
        "transitions": {
            a: {"from": list(t.sources), "to": t.target, "roles": list(t.roles), "needs_comment": t.needs_comment}
            for a, t in TRANSITIONS.items()
        },
        "deadlines": {k: {"working_days": v, "cites": [DEADLINE_CITE]} for k, v in DEADLINE_DAYS.items()},
    }


@router.get("/systems/{system_id}/classification", tags=["systems"], summary="Tier per jurisdiction with reasons and citations")
def classification(
    system_id: str = _system_id(),
    as_of: dt.date | None = None,
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    prof = svc.filings.profile(p, system_id)
    return {
        "system": system_id,
        "as_of": as_of.isoformat() if as_of else None,
        "results": [r.as_dict() for r in svc.classify(prof, as_of) if r.applies != "no"],
    }


@router.get("/systems/{system_id}/plan", tags=["assessment"], summary="Tests and process checks per obligation")
def plan(
    system_id: str = _system_id(),
    as_of: dt.date | None = None,
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    prof = svc.filings.profile(p, system_id)
    return {"system": system_id, **plan_dict(plan_for(svc.classify(prof, as_of), model_kinds=prof.model_kinds))}


@router.get(
    "/systems/{system_id}/assessment", tags=["assessment"], summary="Verdict per obligation from runs and checklist answers"
)
def assessment(
    system_id: str = _system_id(),
    as_of: dt.date | None = None,
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return svc.reports.assessment(p, system_id, as_of.isoformat() if as_of else None)


class RescoreBody(BaseModel):
    """Thresholds to judge the stored evidence against instead of the producers' (metric id -> threshold)."""

    model_config = ConfigDict(extra="forbid")
    thresholds: dict[str, ThresholdOverride] = Field(default_factory=dict, max_length=500)
    min_samples: MinSamples | None = None
    as_of: dt.date | None = None


@router.post(
    "/systems/{system_id}/assessment/rescore",
    tags=["assessment"],
    summary="Verdicts recomputed from the stored evidence with changed thresholds (no test is re-run)",
)
def rescore(
    body: RescoreBody, system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    overrides = Overrides(source="API request", thresholds=body.thresholds, min_samples=body.min_samples)
    return svc.reports.assessment(p, system_id, body.as_of.isoformat() if body.as_of else None, overrides=overrides)


@router.get("/systems/{system_id}/checklist-answers", tags=["checklists"], summary="Stored checklist answers")
def get_answers(
    system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    svc.filings.profile(p, system_id)
    return stored_answers(svc.db, system_id).model_dump()


@router.put("/systems/{system_id}/checklist-answers", tags=["checklists"], summary="Store checklist answers (merged by item)")
def put_answers(
    system_id: str = _system_id(),
    body: dict[str, Any] = Body(..., examples=[{"answers": {"aiverify:9.1.1": {"answer": "yes"}}}]),
    p: Principal = Depends(role_in("provider", "admin")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    svc.filings.profile(p, system_id)
    try:
        af = AnswersFile.model_validate({"system": system_id, "answers": body.get("answers")})
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            raise TianpingError(
                [Problem(e["msg"], field=".".join(map(str, e["loc"]))) for e in exc.errors()], title="invalid answers"
            ) from None
        raise
    known = all_items()
    bad = [q for q in af.answers if q not in known]
    if bad:
        raise TianpingError([Problem("unknown checklist item", field=f"answers.{q}") for q in bad[:20]], title="invalid answers")
    n = store_answers(svc.db, af, actor=p.actor)  # the audit trail names the user, not the server process
    return {"system": system_id, "stored": n, "checklists": list(CHECKLISTS)}


@router.get("/systems/{system_id}/history", tags=["audit"], response_model=Page, summary="Audit events of this system")
def history(
    system_id: str = _system_id(),
    limit: int = _limit(),
    offset: int = _offset(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    svc.filings.profile(p, system_id)
    return _events(svc, limit, offset, system_id)


@router.get("/systems/{system_id}/feedback", tags=["feedback"], summary="Feedback on this system (approved only, for providers)")
def system_feedback(
    system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {"items": svc.feedback.for_system(p, system_id)}


# -- runs ------------------------------------------------------------------------------------
@router.get("/run-kinds", tags=["runs"], summary="Kinds of evaluation run this server can start")
def kinds(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    return run_kinds(svc.settings)


@router.post(
    "/systems/{system_id}/uploads",
    tags=["runs"],
    status_code=201,
    summary="Upload a dataset (CSV, Parquet) or model (ONNX, skops, XGBoost, LightGBM) for tabular runs",
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def upload(
    request: Request,
    system_id: str = _system_id(),
    name: str = Query(..., min_length=1, max_length=200),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> JSONResponse:
    declared = request.headers.get("content-length")
    view = await svc.runs.upload(p, system_id, name, request.stream(), int(declared) if declared and declared.isdigit() else None)
    return JSONResponse(view, status_code=201)


@router.get("/systems/{system_id}/endpoints", tags=["runs"], summary="Endpoints registered for the system (keys never shown)")
def list_endpoints(
    system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {"items": svc.runs.list_endpoints(p, system_id)}


@router.post("/systems/{system_id}/endpoints", tags=["runs"], status_code=201, summary="Register an OpenAI-compatible endpoint")
def add_endpoint(
    body: EndpointRequest, system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.runs.register_endpoint(p, system_id, body.name, body.base_url, body.model, body.api_key)


@router.delete("/systems/{system_id}/endpoints/{endpoint_id}", tags=["runs"], status_code=204, summary="Remove an endpoint")
def remove_endpoint(
    system_id: str = _system_id(),
    endpoint_id: str = _uuid(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> Response:
    svc.runs.delete_endpoint(p, system_id, endpoint_id)
    return Response(status_code=204)


@router.post("/systems/{system_id}/runs", tags=["runs"], status_code=202, summary="Queue an evaluation run")
def start_run(
    body: RunRequest, system_id: str = _system_id(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> JSONResponse:
    view = svc.runs.start(p, system_id, body.kind, body.config)
    worker = getattr(svc, "worker", None)
    if worker is not None:
        worker.wake.set()
    return JSONResponse(view, status_code=202, headers={"Location": f"/api/v1/runs/{view['id']}"})


@router.get("/systems/{system_id}/runs", tags=["runs"], response_model=Page, summary="Runs of a system")
def system_runs(
    system_id: str = _system_id(),
    limit: int = _limit(),
    offset: int = _offset(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    items, total = svc.runs.for_system(p, system_id, limit=limit, offset=offset)
    return page(items, total, limit, offset)


@router.get("/runs/{run_id}", tags=["runs"], summary="A run: status, progress, results")
def get_run(run_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)) -> dict[str, Any]:
    return svc.runs.get(p, run_id)


@router.post("/runs/{run_id}/cancel", tags=["runs"], summary="Cancel a queued or running run")
def cancel_run(run_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)) -> dict[str, Any]:
    return svc.runs.cancel(p, run_id)


# -- reports ---------------------------------------------------------------------------------
@router.post("/systems/{system_id}/reports", tags=["reports"], status_code=201, summary="Assess and write a signed report bundle")
def create_report(
    system_id: str = _system_id(),
    as_of: dt.date | None = None,
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return svc.reports.create(p, system_id, as_of.isoformat() if as_of else None)


@router.get("/systems/{system_id}/reports", tags=["reports"], response_model=Page, summary="Reports of a system")
def system_reports(
    system_id: str = _system_id(),
    limit: int = _limit(),
    offset: int = _offset(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    items, total = svc.reports.list(p, system_id, limit=limit, offset=offset)
    return page(items, total, limit, offset)


@router.get("/reports/{report_id}", tags=["reports"], summary="Report metadata")
def get_report(
    report_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.reports.get(p, report_id)


@router.get(
    "/reports/{report_id}/download",
    tags=["reports"],
    summary="The signed bundle as a zip",
    responses={200: {"content": {"application/zip": {}}}},
)
def download_report(
    report_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> Response:
    name, data = svc.reports.download(p, report_id)
    return Response(data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/reports/{report_id}/verify", tags=["reports"], summary="Verify a stored bundle (hashes and signature)")
def verify_report(
    report_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.reports.verify_stored(p, report_id)


@router.post("/reports/verify", tags=["reports"], summary="Verify an uploaded bundle zip offline")
async def verify_upload(
    file: UploadFile = File(...),
    fingerprint: str | None = Query(None, pattern=r"^[0-9a-f]{64}$"),
    p: Principal = Depends(current_user),
) -> dict[str, Any]:
    data = await file.read(50 * 1024 * 1024 + 1)
    return verify_archive(data, fingerprint).as_dict()


# -- audit -----------------------------------------------------------------------------------
def _events(svc: Services, limit: int, offset: int, subject_id: str | None = None) -> dict[str, Any]:
    items, total = recent_events(svc.db, limit, offset, subject_id)
    return page(items, total, limit, offset)


@router.get("/audit/events", tags=["audit"], response_model=Page, summary="The audit trail, newest first")
def audit_events(
    limit: int = _limit(),
    offset: int = _offset(),
    subject_id: str | None = Query(None, max_length=128),
    p: Principal = Depends(role_in("auditor", "admin", "reviewer")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return _events(svc, limit, offset, subject_id)


@router.get("/audit/verify", tags=["audit"], summary="Walk the hash chain; name the first bad entry")
def audit_verify(p: Principal = Depends(role_in("auditor", "admin")), svc: Services = Depends(services)) -> dict[str, Any]:
    return AuditLog(svc.db).verify().as_dict()


# -- public register and feedback ------------------------------------------------------------
@router.post(
    "/public/systems/{system_id}/feedback",
    tags=["public register"],
    status_code=202,
    summary="Send feedback on a published system (moderated)",
)
def public_feedback(
    body: FeedbackRequest, request: Request, system_id: str = _system_id(), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.feedback.submit(system_id, body.message, body.contact, body.lang, _client(request))


@router.get("/feedback", tags=["feedback"], response_model=Page, summary="Moderation queue")
def feedback_queue(
    status: Literal["pending", "approved", "rejected"] = "pending",
    limit: int = _limit(),
    offset: int = _offset(),
    p: Principal = Depends(current_user),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    items, total = svc.feedback.queue(p, status=status, limit=limit, offset=offset)
    return page(items, total, limit, offset)


@router.post("/feedback/{feedback_id}/moderation", tags=["feedback"], summary="Approve or reject feedback")
def moderate(
    body: ModerationRequest, feedback_id: str = _uuid(), p: Principal = Depends(current_user), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.feedback.moderate(p, feedback_id, body.decision)


# -- users (admin) ---------------------------------------------------------------------------
@router.get("/users", tags=["admin"], summary="Users")
def users(p: Principal = Depends(role_in("admin")), svc: Services = Depends(services)) -> dict[str, Any]:
    return {"items": accounts.list_users(svc.db), "roles": list(ROLES)}


@router.patch("/users/{username}", tags=["admin"], summary="Deactivate or reactivate a user, or reset a password")
def patch_user(
    body: UserPatch,
    username: str = Path(..., min_length=1, max_length=64),
    p: Principal = Depends(role_in("admin")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    if body.password is not None:
        accounts.set_password(svc.db, username, body.password, actor=p.actor)
    return accounts.set_active(svc.db, username, body.active, actor=p.actor)


@router.post("/users", tags=["admin"], status_code=201, summary="Create a user")
def add_user(body: UserRequest, p: Principal = Depends(role_in("admin")), svc: Services = Depends(services)) -> dict[str, Any]:
    return accounts.add_user(
        svc.db,
        body.username,
        body.password,
        body.role,
        organisation=body.organisation,
        display_name=body.display_name,
        actor=p.actor,
    )
