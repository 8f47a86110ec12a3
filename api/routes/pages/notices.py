"""``/notices``: the deadline notices of the signed-in caller (an officer's, or an
institution's own), and the count the navigation shows as a badge."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.routes.pages.common import SignedInDep
from domain.access import Principal
from domain.application import OversightApplication
from projections import Projections
from projections.notices import NoticeBoard, NoticeLine, institution_recipient, officer_recipient

router = APIRouter(include_in_schema=False)


def recipient_of(principal: Principal) -> str:
    """Whose notices a caller reads: its institution's, or its own as an officer."""
    if principal.institution_id is not None:
        return institution_recipient(principal.institution_id)
    return officer_recipient(principal.subject)


def notices_of(request: Request, principal: Principal) -> list[NoticeLine]:
    app: OversightApplication = request.app.state.oversight
    projections: Projections = request.app.state.projections
    board = NoticeBoard(projections.store)
    return board.for_recipient(recipient_of(principal), app.ledger.today())


def notice_count(request: Request, principal: Principal | None) -> int:
    """The caller's notices of deadlines not yet passed (0 for nobody signed in)."""
    if principal is None:
        return 0
    app: OversightApplication = request.app.state.oversight
    projections: Projections = request.app.state.projections
    board = NoticeBoard(projections.store)
    return board.open_count(recipient_of(principal), app.ledger.today())


@router.get("/notices", response_class=HTMLResponse)
def notices(page: SignedInDep) -> Response:
    return page.render("notices/page.html", notices=notices_of(page.request, page.principal))


def install_links(templates: Jinja2Templates) -> None:
    templates.env.globals["notice_count"] = notice_count
    templates.env.globals["notices_of"] = notices_of
