"""Server-rendered pages (Jinja2). Like the API, every route only calls services.

Forms carry the CSRF token; the language comes from `?lang=`, the `tp_lang` cookie or the
browser's Accept-Language, and every string is looked up in `messages.py` (en and zh).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..assessment.assess import VERDICT_TEXT
from ..audit import AuditLog
from ..errors import TianpingError
from ..i18n import available_languages, language_name, normalize_lang, parse_accept_language
from ..i18n import t as translate
from . import accounts, messages  # noqa: F401  (importing messages registers the UI strings)
from .deps import resolve_principal, services
from .errors import ServiceError, forbidden, unauthorised
from .filings import DEADLINE_CITE, EDITABLE, TRANSITIONS, parse_profile
from .principal import Principal
from .questions import identity_labels, profile_from_form, questions, role_choices
from .run_kinds_forms import form_options, genai_config, tabular_request
from .runs import run_kinds
from .security import COMMON_HEADERS, CSRF_COOKIE, CSRF_FIELD, PAGE_CSP, SESSION_COOKIE, client_address, csrf_ok, new_csrf_token
from .services import Services, recent_events

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANG_COOKIE = "tp_lang"
router = APIRouter(include_in_schema=False)
# the same headers the SecurityHeaders middleware adds to every response (set here too for pages
# rendered outside the app, e.g. in tests of the templates)
SECURITY_HEADERS = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP}


def lang_of(request: Request) -> str:
    """`?lang=`, else the language cookie, else the browser's Accept-Language, else English; any
    language with a catalog under tianping/locale (zh-Hans, vi-VN… are understood)."""
    for cand in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        lang = normalize_lang(cand)
        if lang:
            return lang
    return parse_accept_language(request.headers.get("accept-language")) or "en"


def languages() -> list[tuple[str, str, str]]:
    """(code, own name, html lang) of every available language, for the language switch."""
    return [(code, language_name(code), html_lang(code)) for code in available_languages()]


def html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else lang


def user(request: Request) -> Principal | None:
    try:
        return resolve_principal(request, None)
    except TianpingError:
        return None


def _text(d: Any, lang: str) -> str:
    if isinstance(d, dict):
        return d.get(lang) or d.get("en") or ""
    return "" if d is None else str(d)


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    csrf = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None) or new_csrf_token()
    request.state.csrf = csrf
    p = user(request)
    base = {
        "request": request,
        "lang": lang,
        "user": p,
        "csrf": csrf,
        "csrf_field": CSRF_FIELD,
        "t": lambda key, **kw: translate(key, lang, **kw),
        "tx": lambda d: _text(d, lang),
        "path": request.url.path,
        "qpath": quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""),
        "verdict_text": lambda v: VERDICT_TEXT[v].get(lang, v) if v in VERDICT_TEXT else v,
        "languages": languages(),
        "html_lang": html_lang(lang),
    }
    resp = TEMPLATES.TemplateResponse(request, name, {**base, **ctx}, status_code=status, headers=SECURITY_HEADERS)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        resp.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="lax", secure=_secure(request), path="/")
    if normalize_lang(request.query_params.get("lang")):
        resp.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400, path="/")
    return resp


def _secure(request: Request) -> bool:
    return request.app.state.services.settings.secure_cookies


def html_error(request: Request, status: int, title: str, detail: str, problems=None, headers=None) -> Response:
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    resp = render(request, "error.html", status=status, status_code=status, title=title, detail=detail, problems=problems or [])
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _first(data: dict[str, list[str]], key: str) -> str | None:
    """The first posted value of `key`; None when the form has none."""
    values = data.get(key)
    return values[0] if values else None


async def form_data(request: Request) -> dict[str, list[str]]:
    """The posted form (name -> values) after checking the CSRF token."""
    form = await request.form()
    data: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            data.setdefault(k, []).append(v)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), _first(data, CSRF_FIELD)):
        raise ServiceError(
            403, "the form expired or did not come from this site; reload the page and try again", title="forbidden"
        )
    return data


def need_user(request: Request) -> Principal:
    p = user(request)
    if p is None:
        raise unauthorised()
    return p


def _local(next_url: str | None) -> str:
    return next_url if next_url and next_url.startswith("/") and not next_url.startswith("//") else "/"


def _page_args(request: Request) -> tuple[int, int]:
    try:
        offset = max(0, min(1_000_000, int(request.query_params.get("offset", "0"))))
    except ValueError:
        offset = 0
    return 20, offset


# -- home, login, language -------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, svc: Services = Depends(services)):
    p = user(request)
    if p is None:
        return render(request, "home.html")
    items, total = svc.filings.list(p, limit=100)
    tiers: dict[str, dict[str, int]] = {}
    open_obl = 0
    for it in items[:100]:
        prof = svc.filings.profile(p, it["id"])
        for r in svc.classify(prof):
            if r.applies == "no":
                continue
            label = _text(r.tier_title, lang_of(request))
            tiers.setdefault(r.jurisdiction, {}).setdefault(label, 0)
            tiers[r.jurisdiction][label] += 1
            open_obl += len(r.obligations)
    runs = []
    for it in items[:10]:
        rs, _ = svc.runs.for_system(p, it["id"], limit=3)
        runs.extend(rs)
    runs.sort(key=lambda r: r["created_at"], reverse=True)
    queue = []
    if p.can_review:
        for st in ("submitted", "changed", "under_review"):
            queue.extend(svc.filings.list(p, status=st, limit=50)[0])
    return render(
        request, "dashboard.html", systems=items, total=total, tiers=tiers, open_obligations=open_obl, runs=runs[:10], queue=queue
    )


@router.get("/lang/{code}")
def set_lang(code: str, request: Request):
    resp = RedirectResponse(_local(request.query_params.get("next")), status_code=303)
    lang = normalize_lang(code)
    if lang:
        resp.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400, path="/")
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request):
    return render(request, "login.html", next=_local(request.query_params.get("next")), error=None)


@router.post("/login")
async def login(request: Request, svc: Services = Depends(services)):
    data = await form_data(request)
    one = lambda k: (data.get(k) or [""])[0]  # noqa: E731
    try:
        p = accounts.authenticate(svc.db, svc.limiter, one("username"), one("password"), client_address(request))
    except ServiceError as exc:
        resp: Response = render(request, "login.html", status=exc.status, next=_local(one("next")), error=exc.render())
        if getattr(exc, "retry_after", None):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    resp = RedirectResponse(_local(one("next")), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        svc.signer.dumps(p.user_id, accounts.session_epoch(svc.db, p.user_id)),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=svc.settings.session_max_age,
        path="/",
    )
    # a fresh CSRF token after login: a token planted before login is useless afterwards
    resp.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), samesite="lax", secure=_secure(request), path="/")
    return resp


@router.post("/logout")
async def logout(request: Request, svc: Services = Depends(services)):
    await form_data(request)
    p = user(request)
    if p is not None:  # server-side: the cookie (and any copy of it) stops working at once
        accounts.end_sessions(svc.db, p.user_id)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# -- registration questionnaire --------------------------------------------------------------
def _known() -> list[str]:
    """The jurisdictions the loaded rule packs name (bundled and plug-in packs): the form's checkboxes."""
    from ..plugins import jurisdictions

    return jurisdictions()


def _codes(values: list[str]) -> list[str]:
    """The submitted codes the rules' normaliser accepts (canonical case), in order; others are dropped."""
    from ..rules.jurisdictions import normalise

    out: list[str] = []
    for v in values:
        try:
            code = normalise(v)
        except ValueError:
            continue
        if code not in out:
            out.append(code)
    return out


@router.get("/systems/new", response_class=HTMLResponse)
def new_system(request: Request):
    p = need_user(request)
    if not (p.is_provider or p.role == "admin"):
        raise forbidden("only providers register systems")
    lang = lang_of(request)
    js = _codes(request.query_params.getlist("jurisdictions"))
    step = 2 if js and request.query_params.get("id") else 1
    return render(
        request,
        "new_system.html",
        step=step,
        jurisdictions=js,
        known=_known(),
        labels=identity_labels(lang),
        questions=questions(js, lang) if step == 2 else [],
        roles=role_choices(),
        values=dict(request.query_params),
        errors=[],
    )


@router.post("/systems/new")
async def create_system(request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    data = await form_data(request)
    org = p.organisation_name or (data.get("organisation") or [""])[0]
    try:
        view = svc.filings.create(p, parse_profile(profile_from_form(data, org)))
    except TianpingError as exc:
        if getattr(exc, "status", 422) in (401, 403):
            raise
        lang = lang_of(request)
        js = _codes(data.get("jurisdictions", []))
        return render(
            request,
            "new_system.html",
            status=422,
            step=2,
            jurisdictions=js,
            known=_known(),
            labels=identity_labels(lang),
            questions=questions(js, lang),
            roles=role_choices(),
            values={k: v[0] for k, v in data.items() if v},
            multi=data,
            errors=exc.problems,
        )
    return RedirectResponse(f"/systems/{view['id']}", status_code=303)


# -- system page and its actions -------------------------------------------------------------
@router.get("/systems/{system_id}", response_class=HTMLResponse)
def system_page(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    view = svc.filings.get(p, system_id)
    prof = svc.filings.profile(p, system_id)
    results = [r for r in svc.classify(prof) if r.applies != "no"]
    assessment = svc.reports.assessment(p, system_id)
    runs, _ = svc.runs.for_system(p, system_id, limit=20)
    reports, _ = svc.reports.list(p, system_id, limit=20)
    fb = svc.feedback.for_system(p, system_id)
    history, _ = recent_events(svc.db, 30, 0, system_id)
    filing = view["filing"]
    actions = []
    if filing:
        for a in filing["actions"]:
            tr = TRANSITIONS[a]
            if p.role in tr.roles:
                actions.append({"name": a, "comment": tr.needs_comment, "date": tr.needs_date})
    return render(
        request,
        "system.html",
        system=view,
        profile=prof,
        results=results,
        assessment=assessment,
        runs=runs,
        reports=reports,
        feedback=fb,
        history=history,
        actions=actions,
        cite=DEADLINE_CITE,
        can_run=p.is_provider or p.role == "admin",
        verified=request.query_params.get("verified"),
        run_kinds=run_kinds(svc.settings),
        endpoints=svc.runs.list_endpoints(p, system_id),
        run_options=form_options(),
        can_edit=bool(filing) and p.is_provider and view["organisation"] == p.organisation_name and view["status"] in EDITABLE,
        saved=request.query_params.get("saved") == "1",
    )


# -- editing a profile (the owning provider) --------------------------------------------------
MAX_PROFILE_TEXT = 200_000


def _owner_view(request: Request, svc: Services, system_id: str) -> tuple[Principal, dict[str, Any]]:
    """The system, if the caller is a provider of the organisation that owns it."""
    p = need_user(request)
    view = svc.filings.get(p, system_id)  # 404 for systems of other organisations, as everywhere
    if not (p.is_provider and view.get("filing") and view["organisation"] == p.organisation_name):
        raise forbidden("only a provider of the owning organisation edits a system's profile")
    return p, view


def _yaml(doc: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def _profile_from_text(text: str):
    """The posted YAML as a validated profile; problems carry the line in the text area."""
    from pydantic import ValidationError

    from ..errors import Problem
    from ..registry.profile import AISystem
    from ..yamlio import load_yaml_text, validation_problems

    if len(text) > MAX_PROFILE_TEXT:
        raise TianpingError(Problem(f"the profile is longer than {MAX_PROFILE_TEXT} characters"), title="invalid profile")
    doc = load_yaml_text(text, "profile")
    if not isinstance(doc.data, dict):
        raise TianpingError(Problem("expected a mapping of fields (id: …, name: …)", line=1), title="invalid profile")
    try:
        return AISystem.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid profile") from None


def _edit_page(
    request: Request,
    view: dict[str, Any],
    text: str,
    *,
    status: int = 200,
    revision: int | None = None,
    stale: bool = False,
    locked: bool = False,
    errors=None,
    effective_date: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "edit_system.html",
        status=status,
        system=view,
        text=text,
        revision=revision if revision is not None else view["filing"]["revision"],
        stale=stale,
        locked=locked,
        errors=errors or [],
        current_text=_yaml(view["profile"]) if stale else "",
        cite=DEADLINE_CITE,
        effective_date=effective_date,
    )


@router.get("/systems/{system_id}/edit", response_class=HTMLResponse)
def edit_form(system_id: str, request: Request, svc: Services = Depends(services)):
    _, view = _owner_view(request, svc, system_id)
    return _edit_page(request, view, _yaml(view["profile"]), locked=view["status"] not in EDITABLE)


@router.post("/systems/{system_id}/edit")
async def edit_save(system_id: str, request: Request, svc: Services = Depends(services)):
    data = await form_data(request)  # CSRF first
    p, view = _owner_view(request, svc, system_id)
    one = lambda k: (data.get(k) or [""])[0]  # noqa: E731
    text, revision, eff = one("profile"), one("revision").strip(), one("effective_date").strip() or None
    if_match = f'"r{revision}"' if revision.isdigit() else '"r-"'  # no revision: treated as stale, never as "any"
    try:
        system = _profile_from_text(text)
        svc.filings.update(p, system_id, system, if_match, eff)
    except TianpingError as exc:
        status = getattr(exc, "status", None) or 422
        if status in (401, 403, 404):
            raise
        current = svc.filings.get(p, system_id)
        if status == 412:  # someone saved in between: keep the user's text, show theirs, nothing overwritten
            return _edit_page(request, current, text, status=409, stale=True, effective_date=eff)
        if status == 409:
            return _edit_page(request, current, text, status=409, locked=True, effective_date=eff)
        return _edit_page(
            request,
            view,
            text,
            status=422,
            revision=int(revision) if revision.isdigit() else None,
            errors=exc.problems,
            effective_date=eff,
        )
    return RedirectResponse(f"/systems/{system_id}?saved=1", status_code=303)


@router.post("/systems/{system_id}/transition")
async def transition(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    data = await form_data(request)
    one = lambda k: _first(data, k)  # noqa: E731
    svc.filings.transition(
        p, system_id, one("action") or "", f'"r{one("revision")}"', comment=one("comment"), effective_date=one("effective_date")
    )
    return RedirectResponse(f"/systems/{system_id}", status_code=303)


def _wake(svc: Services) -> None:
    worker = getattr(svc, "worker", None)
    if worker is not None:
        worker.wake.set()


@router.post("/systems/{system_id}/runs")
async def start_run(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    data = await form_data(request)
    kind = (data.get("kind") or ["stub"])[0]
    view = svc.runs.start(p, system_id, kind, genai_config(data) if kind == "genai" else {})
    _wake(svc)
    return RedirectResponse(f"/runs/{view['id']}", status_code=303)


@router.post("/systems/{system_id}/runs/tabular")
async def start_tabular_run(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    limit = svc.runs.uploads.limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * limit + 1024 * 1024:  # two files at most: refuse before reading
        from .uploads import too_large

        raise too_large(limit)
    await form_data(request)  # CSRF first
    form = await request.form()
    view = svc.runs.start(p, system_id, "tabular", await tabular_request(svc.runs, p, system_id, form))
    _wake(svc)
    return RedirectResponse(f"/runs/{view['id']}", status_code=303)


@router.post("/systems/{system_id}/endpoints")
async def add_endpoint(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    data = await form_data(request)
    one = lambda k: (data.get(k) or [""])[0]  # noqa: E731
    svc.runs.register_endpoint(p, system_id, one("name"), one("base_url"), one("model"), one("api_key") or None)
    return RedirectResponse(f"/systems/{system_id}#runs", status_code=303)


@router.post("/runs/{run_id}/cancel")
async def cancel_run(run_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    await form_data(request)
    svc.runs.cancel(p, run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    return render(request, "run.html", run=svc.runs.get(p, run_id))


@router.post("/systems/{system_id}/reports")
async def make_report(system_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    await form_data(request)
    svc.reports.create(p, system_id)
    return RedirectResponse(f"/systems/{system_id}#reports", status_code=303)


@router.post("/reports/{report_id}/verify")
async def verify_report(report_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    await form_data(request)
    rep = svc.reports.get(p, report_id)
    res = svc.reports.verify_stored(p, report_id)
    return RedirectResponse(f"/systems/{rep['system_id']}?verified={'ok' if res['ok'] else 'bad'}#reports", status_code=303)


# -- reviewers ---------------------------------------------------------------------------------
@router.get("/review", response_class=HTMLResponse)
def review(request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    if not p.can_review:
        raise forbidden("reviewers only")
    queue = []
    for st in ("submitted", "changed", "under_review", "approved"):
        queue.extend(svc.filings.list(p, status=st, limit=100)[0])
    fb, _ = svc.feedback.queue(p, limit=100)
    return render(request, "review.html", queue=queue, feedback=fb)


@router.post("/feedback/{feedback_id}/moderate")
async def moderate(feedback_id: str, request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    data = await form_data(request)
    svc.feedback.moderate(p, feedback_id, (data.get("decision") or [""])[0])
    return RedirectResponse("/review", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, svc: Services = Depends(services)):
    p = need_user(request)
    if p.role not in ("auditor", "admin"):
        raise forbidden("auditors only")
    events, _ = recent_events(svc.db, 100)
    return render(request, "audit.html", verify=AuditLog(svc.db).verify(), events=events)


# -- catalog explorer ------------------------------------------------------------------------
@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request, svc: Services = Depends(services)):
    q = (request.query_params.get("q") or "").strip()[:200]
    hits = svc.catalog.search(q, limit=50) if q else []
    return render(request, "catalog.html", instruments=svc.catalog.list_instruments(), q=q, hits=hits)


@router.get("/catalog/matrix", response_class=HTMLResponse)
def matrix(request: Request, svc: Services = Depends(services)):
    m = svc.crosswalk_matrix()
    titles = {i["id"]: i["title"] for i in svc.catalog.list_instruments()}
    return render(request, "matrix.html", matrix=m, titles=titles)


@router.get("/catalog/{instrument_id}", response_class=HTMLResponse)
def instrument(instrument_id: str, request: Request, svc: Services = Depends(services)):
    return render(request, "instrument.html", inst=svc.catalog.show_instrument(instrument_id))


@router.get("/provisions/{qid}", response_class=HTMLResponse)
def provision(qid: str, request: Request, svc: Services = Depends(services)):
    return render(request, "provision.html", prov=svc.catalog.provision(qid), crosswalk=svc.catalog.crosswalk(qid))


# -- observatory (read-only, public like the catalog) ------------------------------------------
@router.get("/observatory", response_class=HTMLResponse)
def observatory(request: Request, svc: Services = Depends(services)):
    from ..observatory import messages as _obs_messages  # noqa: F401  (registers the obs_* column names)
    from .observatory import METHODOLOGIES, group_ids

    qp = request.query_params
    asked = qp.get("methodology")
    m = asked if asked in METHODOLOGIES else METHODOLOGIES[0]
    year = int(qp["year"]) if (qp.get("year") or "").isdigit() and len(qp["year"]) == 4 else None
    groups = group_ids()
    grp = qp.get("group") if qp.get("group") in groups else None
    view, problem = None, None
    try:
        view = svc.observatory.rankings(m, year, grp)
    except TianpingError as exc:
        if exc.title != "no data":
            raise
        problem = "no_data" if year is None else exc.render()
    return render(
        request,
        "observatory.html",
        view=view,
        problem=problem,
        methodologies=METHODOLOGIES,
        methodology=m,
        groups=groups,
        group=grp,
        year=year,
    )


@router.get("/observatory/incidents", response_class=HTMLResponse)
def incidents(request: Request, svc: Services = Depends(services)):
    from .observatory import SEVERITIES

    sev = request.query_params.get("severity")
    sev = sev if sev in SEVERITIES else None
    return render(request, "incidents.html", items=svc.observatory.incidents(sev), severity=sev, severities=SEVERITIES)


# -- public register -------------------------------------------------------------------------
@router.get("/register", response_class=HTMLResponse)
def register(request: Request, svc: Services = Depends(services)):
    q = (request.query_params.get("q") or "").strip()[:100] or None
    limit, offset = _page_args(request)
    items, total = svc.filings.public_list(q=q, limit=limit, offset=offset)
    return render(request, "register.html", items=items, total=total, q=q or "", limit=limit, offset=offset)


@router.get("/register/{system_id}", response_class=HTMLResponse)
def public_entry(system_id: str, request: Request, svc: Services = Depends(services)):
    entry = svc.filings.public_get(system_id)  # the published copy only, never unreviewed edits
    return render(request, "public_system.html", entry=entry, thanks=request.query_params.get("thanks"), error=None)


@router.post("/register/{system_id}/feedback")
async def public_feedback(system_id: str, request: Request, svc: Services = Depends(services)):
    data = await form_data(request)
    one = lambda k: (data.get(k) or [""])[0]  # noqa: E731
    client = request.client.host if request.client else "unknown"
    try:
        svc.feedback.submit(system_id, one("message"), one("contact"), lang_of(request), client)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return render(
            request,
            "public_system.html",
            status=exc.status,
            entry=svc.filings.public_get(system_id),
            thanks=None,
            error=exc.render(),
        )
    return RedirectResponse(f"/register/{system_id}?thanks=1#feedback", status_code=303)
