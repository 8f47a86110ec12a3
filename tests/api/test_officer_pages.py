"""The officer step, the "assigned to me" queue and the notices on the pages (both backends):
a form assigns and reassigns, the queue follows; a notice the worker recorded shows on the
officer's /notices with the badge, and on the institution's portal."""

from __future__ import annotations

import secrets
from uuid import UUID

import pytest

from api.i18n import LABELS
from domain.deciders.officers import ITEM_KINDS
from projections.notices import EMAIL_STATES, ITEM_OF_DEADLINE, NoticeBoard
from tests.api.conftest import Api
from tests.api.forms import FormClient, refusal_of, refused_beside
from tests.api.ladder import Ladder
from workers.notices import run_once

JINJIANG = {"jurisdiction": "chengdu", "district": "锦江区"}
DAYS = {"defence": 3}


def officer(api: Api, subject: str) -> FormClient:
    secret = secrets.token_urlsafe(16)
    api.app.access.issue_token(secret, subject=subject, role="regulator", **JINJIANG)
    return FormClient(api, secret)


@pytest.fixture
def noticed(api: Api) -> tuple[str, str]:
    """A case of 2024-03-18 noticed that day, defence until 2024-03-28."""
    iid = api.approved()["id"]
    ladder = Ladder(api, iid)
    finding = ladder.finding("chengdu-2024/30.11", "2024-03-16")
    case_id = ladder.post("/cases", {"finding_ids": [finding], "occurred_on": "2024-03-18"}, 201)
    body = {"facts": "事实", "reasons": "理由", "occurred_on": "2024-03-18", "defence_days": 10}
    ladder.post(f"/cases/{case_id['case_id']}/notice", body)
    return iid, str(case_id["case_id"])


def queue(client: FormClient) -> str:
    client.api.catch_up()
    response = client.client.get("/worklist", params={"mine": "1", "lang": "en"})
    assert response.status_code == 200, response.text
    return str(response.text)


def step(iid: str) -> str:
    return f"/institutions/{iid}/workbench/officer"


def test_the_officer_form_assigns_and_reassigns_and_the_queues_follow(
    api: Api, noticed: tuple[str, str]
) -> None:
    iid, case_id = noticed
    li, zhao = officer(api, "li.wei"), officer(api, "zhao.min")
    assigned = li.fill(step(iid), {"item": f"case:{case_id}", "officer": "li.wei"})
    assert assigned.status_code == 303, assigned.text
    assert f'<td class="mono">{case_id}</td>' in queue(li)
    assert f'<td class="mono">{case_id}</td>' not in queue(zhao)

    refused = li.fill(step(iid), {"item": f"case:{case_id}", "officer": "zhao.min"})
    assert refused.status_code == 422
    assert refusal_of(refused.text)["field"] == "reason"
    assert refused_beside(refused.text, "reason")

    moved = li.fill(step(iid), {"item": f"case:{case_id}", "officer": "zhao.min", "reason": "调岗"})
    assert moved.status_code == 303, moved.text
    assert f'<td class="mono">{case_id}</td>' not in queue(li)
    assert f'<td class="mono">{case_id}</td>' in queue(zhao)
    form = li.client.get(step(iid)).text
    assert f'data-testid="in-charge-case:{case_id}">zhao.min<' in form
    timeline = li.client.get(f"/institutions/{iid}", params={"lang": "en"})
    assert timeline.status_code == 200
    assert "Officer reassigned" in timeline.text
    assert api.get(f"/api/v1/institutions/{iid}/integrity").json()["intact"] is True


def test_the_officer_step_is_linked_from_the_file_and_refused_outside_the_scope(
    api: Api, noticed: tuple[str, str]
) -> None:
    iid, _ = noticed
    li = officer(api, "li.wei")
    page = li.client.get(f"/institutions/{iid}").text
    assert f'href="{step(iid)}" data-testid="step-officer"' in page
    secret = secrets.token_urlsafe(16)
    api.app.access.issue_token(secret, subject="hu.nan", role="regulator", jurisdiction="hunan")
    elsewhere = FormClient(api, secret)
    assert elsewhere.client.get(step(iid)).status_code in (403, 404)


def test_a_notice_shows_on_the_officers_page_with_a_badge_and_on_the_portal(
    api: Api, noticed: tuple[str, str]
) -> None:
    iid, case_id = noticed
    li = officer(api, "li.wei")
    li.fill(step(iid), {"item": f"case:{case_id}", "officer": "li.wei"})
    board = NoticeBoard(api.client.app.state.projections.store)  # type: ignore[attr-defined]
    assert 'data-testid="notice-badge"' not in li.client.get("/worklist").text

    api.clock.set("2024-03-25")  # three days before the defence period ends
    assert run_once(api.app, board, None, DAYS)["recorded"] == 2
    page = li.client.get("/notices", params={"lang": "en"}).text
    assert 'data-testid="notice-defence"' in page
    assert "2024-03-28" in page
    assert case_id in page
    assert '<span class="badge" data-testid="notice-badge">1</span>' in page

    own = api.token("institution", jurisdiction="chengdu", institution=UUID(iid))
    portal = FormClient.of(api, own).client.get(f"/portal/{iid}", params={"lang": "en"}).text
    section = portal[portal.index('data-testid="portal-notices"') :][:3000]
    assert 'data-testid="notice-defence"' in section
    assert "2024-03-28" in section
    # Another officer has none.
    assert (
        'data-testid="notice-defence"' not in officer(api, "zhao.min").client.get("/notices").text
    )


def test_every_kind_and_e_mail_state_of_a_notice_has_a_label_in_both_languages() -> None:
    keys = [f"portal.deadline.{kind}" for kind in ITEM_OF_DEADLINE]
    keys += [f"notices.email.{state}" for state in EMAIL_STATES]
    keys += [f"step.officer.kind.{kind}" for kind in ITEM_KINDS if kind != "file"]
    for key in keys:
        zh, en = LABELS[key]
        assert zh.strip(), key
        assert en.strip(), key
