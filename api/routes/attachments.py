"""``GET /institutions/{iid}/attachments/{sha256}``: a file sent with a report, downloaded.

Signed in as the documents are (the pages' cookie, or ``Authorization: Bearer``), under the
same scope: a regulator of the institution's jurisdiction, a reviewer, the institution
itself. A file outside the caller's scope, or one its record does not cite, answers 404,
as if absent. The bytes are served only if they still have the SHA-256 the event recorded
(else 409); they are sent as a download with the media type the store told from them.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.attachments import AttachmentStore
from api.routes.pages.common import SignedInDep, parse_institution_id
from domain.errors import DomainError, Forbidden, NotFound
from projections.portal import attachment_of

router = APIRouter(include_in_schema=False)


@router.get("/institutions/{iid}/attachments/{sha256}")
def download(request: Request, iid: str, sha256: str, page: SignedInDep) -> Response:
    store: AttachmentStore = request.app.state.attachments
    try:
        found = attachment_of(page.app, page.principal, parse_institution_id(iid), sha256)
        content = store.read(found.sha256)
    except (Forbidden, NotFound):  # another's record, an unknown one, a file it never cited
        return page.refused(NotFound("no such record"))
    except DomainError as exc:
        return page.refused(exc)
    ascii_name = found.name.encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}";'
            f" filename*=UTF-8''{quote(found.name)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Attachment-SHA256": found.sha256,
        },
    )
