"""The demo data `make run` loads: believable histories that exercise the rules."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

from bootstrap import build_application
from bootstrap.demo import DEMO, ensure_demo, load_demo
from config.settings import Settings
from domain.access import SYSTEM
from domain.creditcode import make_credit_code
from domain.institution import institution_id
from tests.api.conftest import Api
from tests.conftest import FakeClock


def test_demo_loads_once_and_exercises_the_rules(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"demo_token_file": tmp_path / "token"})
    app = build_application(settings, clock=FakeClock(datetime(2026, 11, 23, 2, tzinfo=UTC)))
    token = ensure_demo(app, settings)
    assert app.access.authenticate(token).role == "admin"
    position = app.store.recorder.max_notification_id()
    assert ensure_demo(app, settings) == token
    assert app.store.recorder.max_notification_id() == position

    def iid(name: str) -> str:
        d = next(d for d in DEMO if d.name == name)
        return str(institution_id(d.jurisdiction, make_credit_code(d.prefix)))

    from uuid import UUID

    xiangjiang = UUID(iid("湖南湘江职业技能鉴定所"))
    required = app.records.assessment(SYSTEM, xiangjiang, date(2025, 10, 20))["requirement"]
    assert required["level"] == 2
    assert "hunan-2023/26.1" in {g["article"] for g in required["grounds"]}

    school = app.records.institution(SYSTEM, UUID(iid("黄石市高级技工学校")))
    assert school.status == "revoked"
    assert school.ban_until == date(2029, 4, 15)

    for aggregate_id in app.records.all_originators():
        assert app.records.verify_aggregate(aggregate_id) is None


def test_the_readme_filing_example_is_accepted_beside_the_demo(api: Api) -> None:
    """The README's ``curl`` example files a new institution on a store holding the demo."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    body = json.loads(re.search(r"-d '(\{.*?\})'", readme, re.S).group(1))  # type: ignore[union-attr]
    api.clock.set("2026-11-23")
    load_demo(api.app)
    response = api.post("/api/v1/institutions", body)
    assert response.status_code == 201, response.text
    assert response.json()["credit_code"] == body["credit_code"]
