"""Who may call what: every operation of /openapi.json, by every kind of caller.

``MATRIX`` holds one row per operation and one column per caller; each cell is what the
caller must get. An operation of /openapi.json without a row fails, and so does a row for
an operation that no longer exists.

The callers (columns), about records of an institution in 长沙市, hunan:

    A  admin                       O  the institution itself (its own record)
    R  regulator of hunan          F  another institution (in 株洲市)
    D  regulator of 株洲市, hunan   S  the supervisor concerned (holding the assignment,
    C  regulator of chengdu           or whose record it is)
                                   V  reviewer
    n  no token · m  malformed token · e  expired token · k  revoked token

The cells:

    +  allowed: the operation's documented 2xx
    x  403, refused for the role or the scope
    ?  404, exactly as for an id that does not exist (the record's existence is not told)
    !  401, with ``WWW-Authenticate: Bearer``

A refusal writes nothing (the store's last notification id does not move), and no read
ever writes. Each operation acts on a *scene* (``REQUESTS``; the scenes are in
``tests/security/scenes.py``): refused calls and reads share one instance of it, and each
allowed command gets a fresh one, so it finds the state it needs and changes nothing the
next cell reads. Bodies are validated by the operation's request model before they are sent.
"""

from __future__ import annotations

import json
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

import api.schemas
from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from tests.conftest import FakeClock, _postgres_settings
from tests.drafts import article_25_at_level_2
from tests.security import scenes as s
from tests.security.world import TODAY, Target, World, build_world

MATRIX = """
operation (under /api/v1, but for the first three)                         A R D C O F S V  n m e k
GET  /healthz                                                              + + + + + + + +  + + + +
GET  /readyz                                                               + + + + + + + +  + + + +
GET  /metrics                                                              + + + + + + + +  + + + +
POST /institutions                                                         + + x x + x x x  ! ! ! !
GET  /institutions                                                         + + + + + + + +  ! ! ! !
GET  /institutions/{iid}                                                   + + x x + ? + +  ! ! ! !
GET  /institutions/{iid}/events                                            + + x x + ? + +  ! ! ! !
GET  /institutions/{iid}/integrity                                         + + x x + ? + +  ! ! ! !
POST /institutions/{iid}/approval                                          + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/rejection                                         + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/details                                           + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/scope-changes                                     + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/scope-changes/{change_id}/approval                + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/scope-changes/{change_id}/rejection               + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/renewal                                           + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/renewal/approval                                  + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/renewal/rejection                                 + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/cancellation                                      + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/findings                                          + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/findings/{finding_id}/dismissal                   + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/evaluations                                       + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/complaints                                        + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/complaints/{complaint_id}/verification            + + x x x ? x x  ! ! ! !
GET  /institutions/{iid}/assessment                                        + + x x + ? + +  ! ! ! !
POST /institutions/{iid}/annual-assessments                                + + x x x ? x x  ! ! ! !
GET  /institutions/{iid}/credit-rating                                     + + x x + ? + +  ! ! ! !
POST /institutions/{iid}/cases                                             + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/cases/{case_id}/notice                            + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/cases/{case_id}/defences                          + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/cases/{case_id}/defence-waiver                    + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/cases/{case_id}/decision                          + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/cases/{case_id}/service                           + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/decisions/{decision_id}/interview                 + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/decisions/{decision_id}/rectification-reports     + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/decisions/{decision_id}/rectification-acceptance  + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/decisions/{decision_id}/appeals                   + + x x + ? x x  ! ! ! !
POST /institutions/{iid}/appeals/{appeal_id}/decision                      + + x x x ? x x  ! ! ! !
GET  /institutions/{iid}/decisions/{decision_id}/explain                   + + x x + ? + +  ! ! ! !
POST /institutions/{iid}/sessions/{session_id}/pause                       + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/sessions/{session_id}/resume                      + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/sessions/{session_id}/stop                        + + x x x ? x x  ! ! ! !
POST /institutions/{iid}/officers                                          + + x x x ? x x  ! ! ! !
GET  /institutions/{iid}/officers                                          + + x x + ? + +  ! ! ! !
GET  /worklist                                                             + + + + + + + +  ! ! ! !
GET  /rulebooks                                                            + + + + + + + +  ! ! ! !
GET  /rulebooks/{rulebook_id}                                              + + + + + + + +  ! ! ! !
GET  /rulebooks/{rulebook_id}/diff                                         + + + + + + + +  ! ! ! !
POST /rulebooks/impact                                                     + + + x x x x +  ! ! ! !
POST /supervisors                                                          + + x x + ? x x  ! ! ! !
GET  /supervisors                                                          + + + x x x + +  ! ! ! !
GET  /supervisors/{sid}                                                    + + + x ? ? + +  ! ! ! !
GET  /supervisors/{sid}/events                                             + + + x ? ? + +  ! ! ! !
POST /supervisors/{sid}/appointments                                       + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/card-renewal                                       + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/annual-reviews                                     + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/suspension                                         + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/suspension/lifting                                 + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/decertification                                    + + x x ? ? x x  ! ! ! !
POST /supervisors/{sid}/conflicts                                          + + x x ? ? + x  ! ! ! !
POST /supervisors/{sid}/conflicts/{iid}/end                                + + x x ? ? x x  ! ! ! !
POST /assignments                                                          + + x x x ? x x  ! ! ! !
GET  /assignments/{aid}                                                    + + x x ? ? + +  ! ! ! !
GET  /assignments/{aid}/events                                             + + x x ? ? + +  ! ! ! !
POST /assignments/{aid}/withdrawal                                         + + x x ? ? x x  ! ! ! !
POST /assignments/{aid}/sessions/{session_id}/pause                        + + x x ? ? + x  ! ! ! !
POST /assignments/{aid}/sessions/{session_id}/resume                       + + x x ? ? + x  ! ! ! !
POST /visits                                                               + + x x ? ? + x  ! ! ! !
GET  /visits/{vid}                                                         + + x x + ? + +  ! ! ! !
GET  /visits/{vid}/events                                                  + + x x + ? + +  ! ! ! !
POST /visits/{vid}/opinion                                                 + + x x x ? x x  ! ! ! !
POST /visits/{vid}/rectification-report                                    + + x x + ? x x  ! ! ! !
POST /campaigns                                                            + + x x x x x x  ! ! ! !
GET  /campaigns/{cid}                                                      + + x x ? ? + +  ! ! ! !
GET  /campaigns/{cid}/events                                               + + x x ? ? + +  ! ! ! !
POST /campaigns/{cid}/draw                                                 + + x x ? ? x x  ! ! ! !
GET  /campaigns/{cid}/verification                                         + + x x ? ? + +  ! ! ! !
POST /campaigns/{cid}/publication                                          + + x x ? ? x x  ! ! ! !
GET  /campaigns/{cid}/publication                                          + + + + + + + +  + + + +
"""

#: The columns, as the callers are named below (A R D C O F S V, then n m e k).
COLUMNS = (
    "admin",
    "regulator",
    "district",
    "elsewhere",
    "own",
    "another",
    "supervisor",
    "reviewer",
    "no-token",
    "malformed",
    "expired",
    "revoked",
)
API = "/api/v1"
ROOT = ("/healthz", "/readyz", "/metrics")


def parse(table: str) -> dict[str, str]:
    """``"METHOD /path"`` → its cells, one character per column."""
    rows: dict[str, str] = {}
    for line in table.strip().splitlines()[1:]:
        method, path, *cells = line.split()
        assert len(cells) == len(COLUMNS), f"{line!r}: {len(cells)} cells"
        assert set(cells) <= set("+x?!"), line
        key = f"{method} {path}"
        assert key not in rows, f"{key} has two rows"
        rows[key] = "".join(cells)
    return rows


EXPECTED = parse(MATRIX)

# --- what each operation acts on, and its body ----------------------------------------------

Body = Callable[[Target], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    scene: s.Scene
    body: Body | None = None
    query: dict[str, str] = field(default_factory=dict)
    #: A body that is not JSON: its media type and its bytes.
    raw: tuple[str, Callable[[Target], bytes]] | None = None


#: A draft rulebook (hunan-2023 with article 25 at level 2), for the impact run.
HUNAN_DRAFT = article_25_at_level_2().encode()


def dated(on: str = TODAY, **fields: Any) -> Body:
    return lambda _: {"occurred_on": on, **fields}


def reasoned(reason: str) -> Body:
    return dated(reason=reason)


SESSION = dated(text="考场未按一人一桌设置")

REQUESTS: dict[str, Call] = {
    "GET /healthz": Call(s.home),
    "GET /readyz": Call(s.home),
    "GET /metrics": Call(s.home),
    "POST /institutions": Call(s.unfiled, s.filing_of),
    "GET /institutions": Call(s.home),
    "GET /institutions/{iid}": Call(s.decided),
    "GET /institutions/{iid}/events": Call(s.decided),
    "GET /institutions/{iid}/integrity": Call(s.decided),
    "POST /institutions/{iid}/approval": Call(s.submitted, dated(receipt_number="湘评备-1")),
    "POST /institutions/{iid}/rejection": Call(s.submitted, reasoned("材料不全")),
    "POST /institutions/{iid}/details": Call(s.approved, dated(address="长沙市天心区1号")),
    "POST /institutions/{iid}/scope-changes": Call(s.approved, s.scope_change_body),
    "POST /institutions/{iid}/scope-changes/{change_id}/approval": Call(s.scope_change, dated()),
    "POST /institutions/{iid}/scope-changes/{change_id}/rejection": Call(
        s.scope_change, reasoned("考点不符合要求")
    ),
    "POST /institutions/{iid}/renewal": Call(s.renewable, dated()),
    "POST /institutions/{iid}/renewal/approval": Call(s.renewal_requested, dated()),
    "POST /institutions/{iid}/renewal/rejection": Call(s.renewal_requested, reasoned("不符合")),
    "POST /institutions/{iid}/cancellation": Call(s.approved, reasoned("停止评价业务")),
    "POST /institutions/{iid}/findings": Call(s.approved, s.finding_body("hunan-2023/25.9")),
    "POST /institutions/{iid}/findings/{finding_id}/dismissal": Call(
        s.with_finding, reasoned("核实不属实")
    ),
    "POST /institutions/{iid}/evaluations": Call(s.approved, s.batch_body),
    "POST /institutions/{iid}/complaints": Call(
        s.approved, dated(channel="phone", summary="考场秩序混乱")
    ),
    "POST /institutions/{iid}/complaints/{complaint_id}/verification": Call(
        s.with_complaint, dated(substantiated=False, reason="经核实不成立")
    ),
    "GET /institutions/{iid}/assessment": Call(s.decided),
    "POST /institutions/{iid}/annual-assessments": Call(
        s.approved, dated(year=2025, assessing_body="湖南省职业技能鉴定中心", passed=True)
    ),
    "GET /institutions/{iid}/credit-rating": Call(s.decided),
    "POST /institutions/{iid}/cases": Call(
        s.with_finding, lambda t: {"finding_ids": [t.ids["finding_id"]], "occurred_on": TODAY}
    ),
    "POST /institutions/{iid}/cases/{case_id}/notice": Call(
        s.case_open, dated(facts="查明的事实", reasons="理由")
    ),
    "POST /institutions/{iid}/cases/{case_id}/defences": Call(
        s.noticed, dated(statement="陈述与申辩")
    ),
    "POST /institutions/{iid}/cases/{case_id}/defence-waiver": Call(s.noticed, dated()),
    "POST /institutions/{iid}/cases/{case_id}/decision": Call(
        s.defence_closed, dated(reasons="综合全案作出决定")
    ),
    "POST /institutions/{iid}/cases/{case_id}/service": Call(s.decided, dated()),
    "POST /institutions/{iid}/decisions/{decision_id}/interview": Call(
        s.interview_due, dated(attendees=["主要负责人"], pledge="规范考务")
    ),
    "POST /institutions/{iid}/decisions/{decision_id}/rectification-reports": Call(
        s.rectification_due, dated(report="整改报告")
    ),
    "POST /institutions/{iid}/decisions/{decision_id}/rectification-acceptance": Call(
        s.rectification_reported, dated(remarks="验收合格")
    ),
    "POST /institutions/{iid}/decisions/{decision_id}/appeals": Call(
        s.interview_due, dated(kind="reconsideration", grounds="事实不清")
    ),
    "POST /institutions/{iid}/appeals/{appeal_id}/decision": Call(
        s.appealed, dated(outcome="upheld", reasons="维持原决定")
    ),
    "GET /institutions/{iid}/decisions/{decision_id}/explain": Call(s.decided),
    "POST /institutions/{iid}/sessions/{session_id}/pause": Call(s.evaluating, SESSION),
    "POST /institutions/{iid}/sessions/{session_id}/resume": Call(
        s.session_paused, dated(text="现场整改后恢复")
    ),
    "POST /institutions/{iid}/sessions/{session_id}/stop": Call(
        s.session_paused, dated(text="无法整改，停止评价", batch_id="B-1")
    ),
    "POST /institutions/{iid}/officers": Call(
        s.approved, dated(item_kind="file", officer="li.wei")
    ),
    "GET /institutions/{iid}/officers": Call(s.decided),
    "GET /worklist": Call(s.home),
    "GET /rulebooks": Call(s.home),
    "GET /rulebooks/{rulebook_id}": Call(s.home),
    "GET /rulebooks/{rulebook_id}/diff": Call(s.home, query={"against": "hunan-2023@1"}),
    "POST /rulebooks/impact": Call(s.home, raw=("application/yaml", lambda _: HUNAN_DRAFT)),
    "POST /supervisors": Call(s.uncertified, s.internal_supervisor_body),
    "GET /supervisors": Call(s.home, query={"jurisdiction": "hunan"}),
    "GET /supervisors/{sid}": Call(s.supervisor_appointed),
    "GET /supervisors/{sid}/events": Call(s.supervisor_appointed),
    "POST /supervisors/{sid}/appointments": Call(s.supervisor_certified, dated()),
    "POST /supervisors/{sid}/card-renewal": Call(s.supervisor_appointed, dated()),
    "POST /supervisors/{sid}/annual-reviews": Call(
        s.supervisor_appointed, dated(year=2026, passed=True)
    ),
    "POST /supervisors/{sid}/suspension": Call(
        s.supervisor_appointed, dated(reason="考核不合格", articles=["hunan-2023/30.3"])
    ),
    "POST /supervisors/{sid}/suspension/lifting": Call(
        s.supervisor_suspended, reasoned("整改完成")
    ),
    "POST /supervisors/{sid}/decertification": Call(
        s.supervisor_appointed, dated(reason="严重失职", articles=["hunan-2023/30.5"])
    ),
    "POST /supervisors/{sid}/conflicts": Call(
        s.supervisor_appointed,
        lambda t: {"institution_id": t.ids["iid"], "relation": "曾任考评员", "occurred_on": TODAY},
    ),
    "POST /supervisors/{sid}/conflicts/{iid}/end": Call(
        s.supervisor_conflicted, reasoned("已离职满三年")
    ),
    "POST /assignments": Call(s.approved, s.assignment_body),
    "GET /assignments/{aid}": Call(s.assigned),
    "GET /assignments/{aid}/events": Call(s.assigned),
    "POST /assignments/{aid}/withdrawal": Call(s.assigned, reasoned("另行安排")),
    "POST /assignments/{aid}/sessions/{session_id}/pause": Call(s.assigned, SESSION),
    "POST /assignments/{aid}/sessions/{session_id}/resume": Call(
        s.assignment_paused, dated(text="现场整改后恢复")
    ),
    "POST /visits": Call(s.assigned, s.visit_body),
    "GET /visits/{vid}": Call(s.visited),
    "GET /visits/{vid}/events": Call(s.visited),
    "POST /visits/{vid}/opinion": Call(s.visited, dated(opinions=["完善题库"], report_days=30)),
    "POST /visits/{vid}/rectification-report": Call(s.opinion_issued, dated(report="已整改")),
    "POST /campaigns": Call(s.campaign_planned, s.campaign_body),
    "GET /campaigns/{cid}": Call(s.campaign_published),
    "GET /campaigns/{cid}/events": Call(s.campaign_published),
    "POST /campaigns/{cid}/draw": Call(s.campaign_open, dated(seed="matrix-seed")),
    "GET /campaigns/{cid}/verification": Call(s.campaign_published),
    "POST /campaigns/{cid}/publication": Call(s.campaign_drawn, dated()),
    "GET /campaigns/{cid}/publication": Call(s.campaign_published),
}


# --- the world, once per backend ------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "store.db"
        backend: Iterator[Settings] = iter([Settings(database_url=f"sqlite:///{path}")])
    else:
        backend = _postgres_settings(request.getfixturevalue("postgres_database"))
    settings = next(backend)
    try:
        clock = FakeClock(datetime(2026, 7, 1, 2, tzinfo=UTC))
        app = build_application(settings, clock=clock)
        with TestClient(web_service(settings, app)) as client:
            yield build_world(client, app, clock)
    finally:
        next(backend, None)  # drops the PostgreSQL schema


@pytest.fixture(scope="module")
def spec(world: World) -> dict[str, Any]:
    response = world.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``"METHOD /path"`` (under /api/v1 without the prefix) → its OpenAPI operation."""
    found: dict[str, dict[str, Any]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            found[f"{method.upper()} {path.removeprefix(API)}"] = operation
    return found


def request_models() -> dict[str, type[BaseModel]]:
    """Every request and response model of ``api.schemas``, by the name OpenAPI gives it."""
    models: dict[str, type[BaseModel]] = {}
    for module in pkgutil.iter_modules(api.schemas.__path__):
        namespace = vars(import_module(f"api.schemas.{module.name}"))
        for name, value in namespace.items():
            if isinstance(value, type) and issubclass(value, BaseModel):
                models[name] = value
    return models


MODELS = request_models()


# --- one cell --------------------------------------------------------------------------------

UUIDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def caller(world: World, column: str, target: Target) -> dict[str, str]:
    if column in world.refused:
        return world.refused[column]
    tokens: dict[str, Callable[[], dict[str, str]]] = {
        "admin": lambda: world.admin,
        "regulator": lambda: world.token("regulator", "reg.hunan", jurisdiction="hunan"),
        "district": lambda: world.token(
            "regulator", "reg.zhuzhou", jurisdiction="hunan", district="株洲市"
        ),
        "elsewhere": lambda: world.token("regulator", "reg.chengdu", jurisdiction="chengdu"),
        "own": lambda: world.institution_token(target.institution),
        "another": lambda: world.institution_token(world.other),
        "supervisor": lambda: world.supervisor_token(target.supervisor),
        "reviewer": lambda: world.token("reviewer", "audit.review"),
    }
    return tokens[column]()


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    body: dict[str, Any] | None
    query: dict[str, str]
    headers: dict[str, str]
    content: bytes | None = None

    def __call__(self, client: TestClient) -> Any:
        if self.content is not None:
            return client.request(
                self.method, self.url, content=self.content, params=self.query, headers=self.headers
            )
        return client.request(
            self.method, self.url, json=self.body, params=self.query, headers=self.headers
        )

    def elsewhere(self) -> tuple[Sent, dict[str, str]]:
        """The same request with every id in it replaced by one that names nothing, and
        the map back from the new ids to the real ones."""
        back: dict[str, str] = {}

        def swap(match: re.Match[str]) -> str:
            real = match.group(0)
            new = next((k for k, v in back.items() if v == real), None) or str(uuid.uuid4())
            back[new] = real
            return new

        body = json.loads(UUIDS.sub(swap, json.dumps(self.body))) if self.body else None
        url = UUIDS.sub(swap, self.url)
        twin = Sent(self.method, url, body, self.query, self.headers, self.content)
        return twin, back


def prepared(
    world: World, key: str, operation: dict[str, Any], target: Target, column: str
) -> Sent:
    method, path = key.split(" ", 1)
    call = REQUESTS[key]
    body = None
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "schema" in schema:
        assert call.body is not None, f"{key} takes a body: give one in REQUESTS"
        model = MODELS[schema["schema"]["$ref"].rsplit("/", 1)[-1]]
        values = model.model_validate(call.body(target))
        body = values.model_dump(mode="json", exclude_unset=True)
    url = (path if path in ROOT else API + path).format_map(target.ids)
    headers = caller(world, column, target)
    if call.raw is not None:
        media, content = call.raw
        assert media in operation["requestBody"]["content"], f"{key} takes no {media}"
        return Sent(
            method, url, None, call.query, {**headers, "Content-Type": media}, content(target)
        )
    return Sent(method, url, body, call.query, headers)


def problem_of(response: Any, back: dict[str, str] | None = None) -> dict[str, Any]:
    body = response.json()
    detail = str(body.get("detail", ""))
    for new, real in (back or {}).items():
        detail = detail.replace(new, real)
    return {
        "status": response.status_code,
        "type": body.get("type"),
        "title": body.get("title"),
        "detail": detail,
        "field": body.get("field"),
    }


def success_status(operation: dict[str, Any]) -> int:
    return min(int(code) for code in operation["responses"] if code.startswith("2"))


STATUS = {"x": 403, "?": 404, "!": 401}
PROBLEM = {"x": "/problems/forbidden", "?": "/problems/not-found", "!": "/problems/unauthenticated"}


def check_cell(
    world: World, key: str, operation: dict[str, Any], column: str, cell: str
) -> str | None:
    """What is wrong with this cell, or None."""
    allowed = cell == "+"
    writes = allowed and not key.startswith("GET ")
    target = world.scene(REQUESTS[key].scene, fresh=writes)
    sent = prepared(world, key, operation, target, column)
    recorder = world.app.store.recorder
    before = recorder.max_notification_id()
    response = sent(world.client)
    wanted = success_status(operation) if allowed else STATUS[cell]
    if response.status_code != wanted:
        return f"{column}: {response.status_code}, not {wanted}: {response.text[:200]}"
    if not writes and recorder.max_notification_id() != before:
        return f"{column}: answered {response.status_code} and wrote to the store"
    if allowed:
        return None
    if response.json().get("type") != PROBLEM[cell]:
        return f"{column}: problem type {response.json().get('type')}, not {PROBLEM[cell]}"
    if cell == "!" and response.headers.get("WWW-Authenticate") != "Bearer":
        return f"{column}: 401 without WWW-Authenticate: Bearer"
    if cell == "?":
        twin, back = sent.elsewhere()
        absent = twin(world.client)
        if problem_of(response) != problem_of(absent, back):
            return (
                f"{column}: the 404 tells the record exists: {problem_of(response)}"
                f" against {problem_of(absent, back)} for an id of nothing"
            )
        if recorder.max_notification_id() != before:
            return f"{column}: a request for an id of nothing wrote to the store"
    return None


# --- the tests -------------------------------------------------------------------------------


def test_every_operation_has_a_row_and_every_row_an_operation(spec: dict[str, Any]) -> None:
    published = set(operations(spec))
    assert sorted(published - EXPECTED.keys()) == [], "operations without a row in MATRIX"
    assert sorted(EXPECTED.keys() - published) == [], "rows of MATRIX for no operation"
    assert sorted(EXPECTED.keys() ^ REQUESTS.keys()) == [], "MATRIX and REQUESTS differ"


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_caller_gets_what_the_matrix_says(
    world: World, spec: dict[str, Any], key: str
) -> None:
    operation = operations(spec).get(key)
    if operation is None:
        pytest.fail(f"{key} is not an operation of /openapi.json")
    wrong = [
        problem
        for column, cell in zip(COLUMNS, EXPECTED[key], strict=True)
        if (problem := check_cell(world, key, operation, column, cell)) is not None
    ]
    assert wrong == [], f"{key}:\n" + "\n".join(wrong)


def test_the_register_lists_what_each_caller_may_read(world: World) -> None:
    """The register answers 200 to every caller: what it lists is what the caller may read."""
    world.client.app.state.projections.catch_up()  # type: ignore[attr-defined]
    sample = {world.home, world.other, world.chengdu}
    for column in COLUMNS[:8]:
        headers = caller(world, column, s.home(world))
        readable = {
            iid
            for iid in sample
            if world.client.get(f"{API}/institutions/{iid}", headers=headers).status_code == 200
        }
        assert listed(world, headers) & sample == readable, column


def listed(world: World, headers: dict[str, str]) -> set[str]:
    """Every id of the register, page by page."""
    ids: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
        page = world.client.get(f"{API}/institutions", params=params, headers=headers).json()
        ids |= {item["id"] for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
