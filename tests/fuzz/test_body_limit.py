"""A body over ``OVERSIGHT_MAX_BODY_BYTES`` gets 413 before it is parsed, and writes nothing:
one that declares its size (Content-Length) and one sent in chunks without a size, through
the test client and through a real uvicorn socket."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.errors import PROBLEM
from config.settings import Settings
from tests.api.conftest import Api, filing
from tests.conftest import FakeClock
from tests.reliability.server import LiveServer, live_server
from tests.security.conftest import api_on

BASE = "/api/v1/institutions"
LIMIT = 4096


@pytest.fixture
def small(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    """The API with a body limit of 4 KiB."""
    with api_on(settings, clock, max_body_bytes=LIMIT) as api:
        yield api


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    """The production app behind uvicorn (SQLite), with a body limit of 4 KiB."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}", max_body_bytes=LIMIT)
    with live_server(settings) as server:
        yield server


def too_large(response: Any, before: int | None, api: Api) -> dict[str, Any]:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert (problem["field"], problem["type"]) == ("body", "/problems/body-too-large")
    assert problem["errors"] == [{"field": "body", "reason": problem["detail"][6:]}]
    assert f"at most {LIMIT} are accepted" in problem["detail"]
    assert api.app.store.recorder.max_notification_id() == before
    return problem


def padded(size: int) -> bytes:
    """A filing whose name pads the body to ``size`` bytes (refused if it were parsed)."""
    body = json.dumps(filing(name="")).encode()
    return body.replace(b'"name": ""', b'"name": "' + b"x" * (size - len(body)) + b'"')


def chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_the_default_limit_is_one_mebibyte() -> None:
    assert Settings().max_body_bytes == 1024 * 1024


def test_a_declared_size_over_the_limit_is_refused_before_parsing(small: Api) -> None:
    before = small.app.store.recorder.max_notification_id()
    not_json = b"{" * (LIMIT + 1)  # would be 422 for its syntax, were it parsed
    response = small.client.post(
        BASE, content=not_json, headers={**small.admin, "Content-Type": "application/json"}
    )
    problem = too_large(response, before, small)
    assert f"declares {LIMIT + 1} bytes" in problem["detail"]
    assert response.headers["connection"] == "close"
    assert response.headers["x-request-id"]


def test_a_body_sent_in_chunks_is_counted_and_refused(small: Api) -> None:
    before = small.app.store.recorder.max_notification_id()
    body = padded(LIMIT + 500)
    headers = {**small.admin, "Content-Type": "application/json"}
    request = small.client.build_request("POST", BASE, content=chunks(body), headers=headers)
    assert "content-length" not in request.headers
    problem = too_large(small.client.send(request), before, small)
    assert f"sent more than {LIMIT} bytes" in problem["detail"]


def test_a_body_within_the_limit_is_read_whole_or_in_chunks(small: Api) -> None:
    headers = {**small.admin, "Content-Type": "application/json"}
    body = json.dumps(filing()).encode()
    request = small.client.build_request("POST", BASE, content=chunks(body, 50), headers=headers)
    assert small.client.send(request).status_code == 201
    at_limit = padded(LIMIT)
    assert len(at_limit) == LIMIT
    response = small.client.post(BASE, content=at_limit, headers=headers)
    assert response.status_code == 422  # parsed: its name is too long, not its body
    assert response.json()["field"] == "name"


def test_the_pages_forms_have_the_same_limit(small: Api) -> None:
    before = small.app.store.recorder.max_notification_id()
    response = small.client.post("/login", data={"token": "x" * (LIMIT * 2)})
    too_large(response, before, small)


def test_a_real_socket_gets_413_without_sending_its_declared_body(live: LiveServer) -> None:
    token = live.admin["Authorization"]
    head = (
        f"POST {BASE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {100 * LIMIT}\r\n\r\n"
    )
    before = live.app.store.recorder.max_notification_id()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as conn:
        conn.sendall(head.encode())  # the body never follows: the answer must not wait for it
        answer = conn.recv(65536).decode()
    status, _, rest = answer.partition("\r\n")
    assert status.startswith("HTTP/1.1 413 "), answer
    assert "content-type: application/problem+json" in rest.lower()
    assert live.app.store.recorder.max_notification_id() == before


def test_a_real_chunked_upload_over_the_limit_is_refused(live: LiveServer) -> None:
    body = padded(LIMIT * 3)
    with live.client() as http:
        response = http.post(
            BASE, content=chunks(body), headers={"Content-Type": "application/json"}
        )
        assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413, response.text
    assert response.json()["field"] == "body"
    with live.client() as http:  # the service goes on serving
        fits = http.post(
            BASE,
            content=chunks(json.dumps(filing()).encode()),
            headers={"Content-Type": "application/json"},
        )
    assert fits.status_code == 201, fits.text
