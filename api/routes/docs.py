"""``/docs``: the interactive API documentation (Swagger UI), served from our own static files.

Swagger UI is vendored under ``api/static/vendor/swagger-ui/`` (``deploy/fetch-vendor.sh``,
pinned and checked by SHA-256), so the page renders on a network without internet. It is
started by ``api/static/swagger-init.js``, not an inline script, so the page keeps the same
Content-Security-Policy as the dashboard.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.routes.pages.common import security_headers

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — API</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body data-openapi="{openapi}">
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    response = HTMLResponse(
        PAGE.format(title=request.app.title, openapi=request.app.openapi_url or "/openapi.json")
    )
    security_headers(response, private=False)
    return response
