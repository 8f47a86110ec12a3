"""The regulators' dashboard: server-rendered pages over the read models and the record.

One module a page — :mod:`.login` (sign-in and out), :mod:`.overview` (``/``),
:mod:`.register`, :mod:`.institution` (an institution's file and its decisions explained),
:mod:`.sanctions`, :mod:`.worklist`, :mod:`.workload` (supervisors and rotation),
:mod:`.status` (the read models' lag), :mod:`.impact` (a draft rulebook's impact),
:mod:`.public` — each handler parsing its query
string, reading one view from :mod:`projections.dashboard`,
:mod:`projections.institution_file` or :mod:`projections.review` and rendering it.
What they share is in :mod:`.common` (rendering, security headers, language, parsing),
:mod:`.tables` (tables and their CSV) and :mod:`.charts`. The regulator's workbench
(:mod:`.workbench`) is the pages' forms, each a step running one command; their CSRF
token, Idempotency-Key and refusals are :mod:`.forms`. The institution's portal
(:mod:`.portal`, :mod:`.portal_report`) is its own file and its steps, through the same forms.

Pages sign in with the session cookie set on ``/login`` (see :mod:`api.deps`) and apply
the same scope as the API. ``/public`` needs no sign-in. The pages compute nothing the
domain decides: they copy, count and label.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.deps import LoginRequired
from api.routes.pages import (
    account,
    impact,
    institution,
    login,
    notices,
    officers,
    oidc,
    overview,
    portal,
    portal_report,
    public,
    register,
    sanctions,
    status,
    workbench,
    worklist,
    workload,
)
from api.routes.pages.common import STATIC_DIR, TEMPLATES_DIR
from api.routes.pages.forms import FormRefused, FormUnreadable, form_refused, form_unreadable

PAGES = (
    login,
    oidc,
    account,
    overview,
    register,
    institution,
    sanctions,
    worklist,
    workload,
    status,
    impact,
    workbench,
    officers,
    notices,
    portal,
    portal_report,
    public,
)


def install_pages(app: FastAPI) -> None:
    """Mount the static files, the templates and the pages on ``app``."""
    app.state.templates = Jinja2Templates(directory=TEMPLATES_DIR)
    workbench.install_links(app.state.templates)
    portal.install_links(app.state.templates)
    notices.install_links(app.state.templates)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for page in PAGES:
        app.include_router(page.router)
    app.exception_handler(LoginRequired)(login.login_required)
    app.exception_handler(FormRefused)(form_refused)
    app.exception_handler(FormUnreadable)(form_unreadable)


__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "install_pages"]
