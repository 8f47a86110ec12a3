"""A signed-in browser without a browser: opens a page's form and sends it as a browser
would, with the form's hidden CSRF token and Idempotency-Key."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Api

HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|idempotency_key)" value="([^"]*)">')


@dataclass
class Form:
    """A form as the page rendered it: its address and hidden fields."""

    action: str
    hidden: dict[str, str]
    page: str = ""

    @property
    def csrf(self) -> str:
        return self.hidden["csrf_token"]

    @property
    def key(self) -> str:
        return self.hidden["idempotency_key"]


@dataclass
class FormClient:
    """One signed-in browser (its own cookie jar) on the app under test."""

    api: Api
    secret: str
    client: TestClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = TestClient(self.api.client.app)
        response = self.client.post("/login", data={"token": self.secret}, follow_redirects=False)
        assert response.status_code == 303, response.text

    @classmethod
    def of(cls, api: Api, headers: dict[str, str]) -> FormClient:
        return cls(api, headers["Authorization"].removeprefix("Bearer "))

    def open(self, path: str, **params: str) -> Form:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return form_of(response.text, path)

    def send(
        self,
        form: Form,
        data: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        hidden: dict[str, str] | None = None,
    ) -> Any:
        body = {**form.hidden, **(hidden or {}), **data}
        return self.client.post(form.action, data=body, headers=headers, follow_redirects=False)

    def fill(self, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """Open the form at ``path`` and send it with ``data``."""
        return self.send(self.open(path), data, **kwargs)


def form_of(page: str, action: str) -> Form:
    hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(page)}
    assert set(hidden) == {"csrf_token", "idempotency_key"}, "the page has no step form"
    return Form(action, hidden, page)


def refusal_of(page: str) -> dict[str, str]:
    """The refusal a form page shows: its field, status, headline and the domain's text."""
    match = re.search(
        r'<div class="refusal" role="alert" data-testid="refusal" data-field="([^"]*)"'
        r' data-status="(\d+)">\s*<p class="refusal-head">([^<]*)</p>\s*'
        r'<p class="refusal-detail small">.*?<span lang="en">([^<]*)</span>',
        page,
        re.S,
    )
    assert match, "the page shows no refusal"
    field_name, status, head, detail = match.groups()
    return {
        "field": field_name,
        "status": status,
        "headline": html.unescape(head),
        "detail": html.unescape(detail),
    }


def refused_beside(page: str, name: str) -> bool:
    """Whether the refusal is shown inside the field ``name`` (before the next field)."""
    start = page.find(f'has-error" data-field="{name}"')
    if start == -1:
        return False
    refusal = page.find(f'data-testid="refusal" data-field="{name}"', start)
    following = page.find('class="field', start + 1)
    return refusal != -1 and (following == -1 or refusal < following)
