"""The world the authorization matrix asks about, built through the API as an administrator.

Two jurisdictions (hunan, chengdu); institutions in two districts of hunan (长沙市, where
every record the matrix asks about lies, and 株洲市, where the other institution and the
other district's regulator are); three appointed supervisors; assignments, visits, a
campaign, cases with decisions, appeals. The records are made by *scenes*: a scene makes
one record in one state (a filing awaiting approval, a case with its notice issued, a
supervisor suspended, a campaign drawn…) and returns a :class:`Target`: the ids a request
about it fills in, whose record it is, and the supervisor concerned.

The clock stands at :data:`TODAY`. Records are dated a month before; the filings meant
for renewal were approved in 2023, so their renewal window is open today.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.application import OversightApplication
from domain.creditcode import make_credit_code
from tests.conftest import FakeClock

TODAY = "2026-07-01"
#: The business date of most records: a month before today.
EARLIER = "2026-06-01"
#: Approved then, a filing's three years end on 2026-08-31: its renewal window is open.
LONG_AGO = "2023-09-01"
HOME = "长沙市"
OTHER_DISTRICT = "株洲市"


@dataclass(frozen=True)
class Target:
    """What a request acts on: the ids to fill in (path parameters and ids its body names),
    the institution whose record it is, and the subject of the supervisor concerned."""

    ids: dict[str, str]
    institution: str
    supervisor: str

    def with_ids(self, **ids: str) -> Target:
        return Target({**self.ids, **ids}, self.institution, self.supervisor)


Scene = Callable[["World"], Target]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    client: TestClient
    app: OversightApplication
    clock: FakeClock
    admin: dict[str, str] = field(default_factory=dict)
    #: Tokens that do not authenticate, by column: none, malformed, expired, revoked.
    refused: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The three appointed supervisors (ids) and their subjects.
    team: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    #: An approved institution in 长沙市, the "own" one of records of no institution.
    home: str = ""
    #: The other institution, in 株洲市, and one in chengdu.
    other: str = ""
    chengdu: str = ""
    shared: dict[Scene, Target] = field(default_factory=dict)
    _tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- requests and tokens --------------------------------------------------------------

    def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.admin)
        assert response.status_code == status, f"{path}: {response.text}"
        result: dict[str, Any] = response.json()
        return result

    def token(self, role: str, subject: str, **scope: Any) -> dict[str, str]:
        """A token of ``role`` (one per role, subject and scope)."""
        key = (role, subject, *sorted(scope.items()))
        if key not in self._tokens:
            secret = "sov_" + secrets.token_urlsafe(32)
            self.app.access.issue_token(secret, subject=subject, role=role, **scope)
            self._tokens[key] = bearer(secret)
        return self._tokens[key]

    def institution_token(self, iid: str) -> dict[str, str]:
        return self.token("institution", f"inst.{iid[:8]}", institution=UUID(iid))

    def supervisor_token(self, subject: str) -> dict[str, str]:
        return self.token("supervisor", subject, jurisdiction="hunan")

    def serial(self) -> int:
        return next(self._serial)

    def scene(self, make: Scene, *, fresh: bool) -> Target:
        """A fresh instance of the scene, or the one instance shared by every other cell."""
        if fresh:
            return make(self)
        if make not in self.shared:
            self.shared[make] = make(self)
        return self.shared[make]

    # --- records --------------------------------------------------------------------------

    def new_credit_code(self) -> str:
        return make_credit_code(f"91430100MA{self.serial():07d}")

    def submitted(self, on: str = EARLIER, **overrides: Any) -> str:
        code = self.new_credit_code()
        body = filing(code, occurred_on=on, **overrides)
        return str(self.post("/institutions", body, 201)["id"])

    def approved(self, on: str = EARLIER, **overrides: Any) -> str:
        iid = self.submitted(on, **overrides)
        self.post(f"/institutions/{iid}/approval", {"occurred_on": on})
        return iid

    def supervisor(self, *, appointed: bool = True) -> tuple[str, str]:
        """A new external supervisor of hunan: its id and subject."""
        n = self.serial()
        subject = f"sup.{n}"
        body = {
            "jurisdiction": "hunan",
            "kind": "external",
            "name": f"督导员{n}",
            "subject": subject,
            "card_number": f"HN-WD-{n:04d}",
            "occurred_on": EARLIER,
        }
        sid = str(self.post("/supervisors", body, 201)["id"])
        if appointed:
            self.post(f"/supervisors/{sid}/appointments", {"occurred_on": EARLIER})
        return sid, subject

    def assignment(self, kind: str = "daily") -> tuple[str, str]:
        """A new approved institution and an assignment of the team to it."""
        iid = self.approved()
        team = self.team if kind == "special" else self.team[:1]
        body = {
            "institution_id": iid,
            "kind": kind,
            "supervisors": team,
            "matters": ["考务管理"],
            "occurred_on": EARLIER,
        }
        return iid, str(self.post("/assignments", body, 201)["id"])


def filing(credit_code: str, **overrides: Any) -> dict[str, Any]:
    """A filing in 长沙市, hunan, dated a month ago."""
    body: dict[str, Any] = {
        "credit_code": credit_code,
        "name": f"湖南第{credit_code[-6:]}职业技能评价中心",
        "kind": "social_org",
        "jurisdiction": "hunan",
        "district": HOME,
        "address": "长沙市芙蓉区五一大道1号",
        "scope": [{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
        "test_sites": ["五一大道考点"],
        "legal_representative": "王某",
        "contact": {"name": "李某", "phone": "0731-0000000"},
        "occurred_on": EARLIER,
    }
    body.update(overrides)
    return body


def build_world(client: TestClient, app: OversightApplication, clock: FakeClock) -> World:
    """The fixed part of the world: tokens, the team, the home and the other institution."""
    world = World(client, app, clock)
    clock.set("2026-06-30")
    expired, revoked = "sov_" + secrets.token_urlsafe(32), "sov_" + secrets.token_urlsafe(32)
    app.access.issue_token(expired, subject="late", role="admin", valid_for=timedelta(hours=1))
    token = app.access.issue_token(revoked, subject="gone", role="admin")
    app.access.revoke_token(token.id, "left the bureau")
    clock.set(TODAY)
    world.refused = {
        "no-token": {},
        "malformed": {"Authorization": "Bearer not a token"},
        "expired": bearer(expired),
        "revoked": bearer(revoked),
    }
    secret = "sov_" + secrets.token_urlsafe(32)
    app.access.issue_token(secret, subject="admin.matrix", role="admin")
    world.admin = bearer(secret)
    for _ in range(3):
        sid, subject = world.supervisor()
        world.team.append(sid)
        world.subjects.append(subject)
    world.home = world.approved()
    world.other = world.approved(district=OTHER_DISTRICT)
    chengdu = filing(
        make_credit_code(f"91510104MA{world.serial():07d}"),
        jurisdiction="chengdu",
        district="锦江区",
        name="成都天府职业技能评价中心",
    )
    world.chengdu = str(world.post("/institutions", chengdu, 201)["id"])
    return world
