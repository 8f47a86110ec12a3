"""A command route answers as FastAPI would: the same status, problem, headers and body.

FastAPI's own handler of the same route is the oracle: a dependency override (here the
application's, overridden by itself) makes a :class:`api.command_route.CommandRoute`
hand the request to FastAPI, so each request below is sent both ways to one service and
the two answers compared. Refusals record nothing, so both see the same store; a command
that records is compared through its replays (the same key, answered by both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.command_route import CommandHandler
from api.deps import app_dependency
from tests.api.conftest import Api

BASE = "/api/v1/institutions"

FINDING = {
    "rule_id": "chengdu-2024/30.4",
    "severity": "minor",
    "occurred_on": "2024-03-18",
    "source": "inspection",
    "reference": "督导记录",
    "facts": "评价档案缺少考场记录表",
}
BATCH = {
    "batch_id": "B-1",
    "occupation": "4-03-02-01",
    "level": 4,
    "evaluated_on": "2024-03-18",
    "site": "东大街考点",
    "candidates": 40,
    "unqualified_candidates": 0,
    "passed": 36,
}


@contextmanager
def by_fastapi(api: Api) -> Iterator[None]:
    """Requests answered by FastAPI's own handler while this lasts."""
    app: FastAPI = api.client.app  # type: ignore[assignment]
    app.dependency_overrides[app_dependency] = app_dependency
    try:
        yield
    finally:
        app.dependency_overrides.clear()


def answer(api: Api, path: str, content: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = api.client.post(path, content=content, headers=headers)
    kept = ("content-type", "www-authenticate", "etag", "location", "idempotent-replay")
    return {
        "status": response.status_code,
        "headers": {k: response.headers.get(k) for k in kept},
        "body": response.json(),
    }


def both(api: Api, path: str, content: bytes, headers: dict[str, str]) -> dict[str, Any]:
    with by_fastapi(api):
        expected = answer(api, path, content, headers)
    ours = answer(api, path, content, headers)
    assert ours == expected
    return ours


def json_headers(api: Api, **more: str) -> dict[str, str]:
    return {**api.admin, "Content-Type": "application/json", **more}


def test_the_finding_and_batch_routes_are_answered_by_the_command_handler(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = api.approved()["id"]
    runs: list[str] = []
    run = CommandHandler.run

    def counted(self: CommandHandler, request: Any, *args: Any) -> Any:
        runs.append(request.url.path.rsplit("/", 1)[-1])
        return run(self, request, *args)

    monkeypatch.setattr(CommandHandler, "run", counted)
    for path, body in (("findings", FINDING), ("evaluations", BATCH)):
        assert api.post(f"{BASE}/{iid}/{path}", body).status_code == 201
        with by_fastapi(api):
            assert (
                api.post(
                    f"{BASE}/{iid}/{path}",
                    {**body, "batch_id": "B-2"} if path == "evaluations" else body,
                ).status_code
                == 201
            )
    assert runs == ["findings", "evaluations"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b'{"rule_id": ', {}, id="not-json-no-token"),
        pytest.param(b'{"rule_id": 1}', {}, id="bad-body-no-token"),
        pytest.param(b"{}", {"Authorization": "Bearer nope"}, id="unknown-token"),
        pytest.param(b'{"rule_id": ', None, id="not-json"),
        pytest.param(b'{"facts": "\xff\xfe"}', None, id="not-utf8"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"[1, 2]", None, id="not-an-object"),
        pytest.param(b'{"severity": "grave", "bogus": 1}', None, id="bad-fields"),
    ],
)
def test_a_refused_finding_is_refused_alike(
    api: Api, content: bytes, headers: dict[str, str] | None
) -> None:
    iid = api.approved()["id"]
    sent = json_headers(api) if headers is None else {"Content-Type": "application/json", **headers}
    refused = both(api, f"{BASE}/{iid}/findings", content, sent)
    assert refused["status"] in (401, 422)
    assert refused["headers"]["content-type"] == "application/problem+json"


def test_refusals_of_headers_path_and_type_are_alike(api: Api) -> None:
    iid = api.approved()["id"]
    body = b'{"severity": "grave"}'
    long_key = json_headers(api, **{"Idempotency-Key": "k" * 201})
    assert both(api, f"{BASE}/{iid}/findings", body, long_key)["status"] == 422
    bad_match = json_headers(api, **{"If-Match": "three"})
    assert both(api, f"{BASE}/{iid}/findings", body, bad_match)["body"]["field"] == "If-Match"
    assert both(api, f"{BASE}/not-a-uuid/findings", body, json_headers(api))["status"] == 422
    untyped = both(api, f"{BASE}/{iid}/findings", json.dumps(FINDING).encode(), api.admin)
    assert untyped["status"] == 422
    text = {**api.admin, "Content-Type": "text/plain"}
    assert both(api, f"{BASE}/{iid}/evaluations", b"{}", text)["status"] == 422
    unknown = f"{BASE}/{uuid.uuid4()}/evaluations"
    assert both(api, unknown, json.dumps(BATCH).encode(), json_headers(api))["status"] == 404


def test_a_recorded_command_is_replayed_alike(api: Api) -> None:
    iid = api.approved()["id"]
    for path, body in (("findings", FINDING), ("evaluations", BATCH)):
        headers = json_headers(api, **{"Idempotency-Key": uuid.uuid4().hex})
        first = answer(api, f"{BASE}/{iid}/{path}", json.dumps(body).encode(), headers)
        assert first["status"] == 201, first
        assert first["headers"]["idempotent-replay"] is None
        replay = both(api, f"{BASE}/{iid}/{path}", json.dumps(body).encode(), headers)
        assert replay["body"] == first["body"]
        assert replay["headers"]["idempotent-replay"] == "true"
        other = both(api, f"{BASE}/{iid}/{path}", b'{"x": 1}', headers)
        assert other["status"] == 422


def test_a_command_answers_alike(api: Api) -> None:
    iid = api.approved()["id"]
    with by_fastapi(api):
        theirs = answer(
            api, f"{BASE}/{iid}/findings", json.dumps(FINDING).encode(), json_headers(api)
        )
    another = {**FINDING, "occurred_on": "2024-03-19"}
    ours = answer(api, f"{BASE}/{iid}/findings", json.dumps(another).encode(), json_headers(api))
    assert ours["status"] == theirs["status"] == 201
    assert ours["headers"] == theirs["headers"]
    assert ours["body"].keys() == theirs["body"].keys()
    assert ours["body"]["version"] == theirs["body"]["version"] + 1


PLAIN_ROUTES_OPENAPI = """
import json, sys
from fastapi.routing import APIRoute
import api.command_route
api.command_route.CommandRoute = APIRoute  # the routers built with FastAPI's own route
from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
import api.routes.casework
assert api.routes.casework.router.route_class is APIRoute
settings = Settings(database_url="sqlite:///:memory:")
json.dump(web_service(settings, build_application(settings)).openapi(), sys.stdout)
"""


def test_the_openapi_document_is_the_one_of_fastapis_own_routes(api: Api) -> None:
    plain = subprocess.run(
        [sys.executable, "-c", PLAIN_ROUTES_OPENAPI],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "OVERSIGHT_LOG_LEVEL": "WARNING"},
    )
    ours = api.client.get("/openapi.json")
    assert ours.status_code == 200
    assert ours.json() == json.loads(plain.stdout)
