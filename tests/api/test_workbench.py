"""The regulator's workbench through its forms (both backends): each step records its event;
CSRF, double submission, refusals beside their field, and who may take a step."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.routes.pages.forms import csrf_token
from tests.api.conftest import Api
from tests.api.forms import FormClient, form_of, refusal_of, refused_beside

JINJIANG = {"jurisdiction": "chengdu", "district": "锦江区"}


def events_of(api: Api, iid: str) -> list[str]:
    response = api.get(f"/api/v1/institutions/{iid}/events")
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()]


@pytest.fixture
def regulator(api: Api) -> FormClient:
    return FormClient.of(api, api.token("regulator", **JINJIANG))


@pytest.fixture
def submitted(api: Api) -> str:
    iid: str = api.submit()["id"]
    return iid


def review(iid: str) -> str:
    return f"/institutions/{iid}/workbench/review"


APPROVE = {"decision": "approve", "occurred_on": "2024-03-15"}


# --- the filing ------------------------------------------------------------------------


def test_a_regulator_approves_a_filing_through_the_form(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    response = regulator.fill(review(submitted), APPROVE)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/institutions/{submitted}"
    assert events_of(api, submitted)[-1] == "FilingApproved"
    record = api.get(f"/api/v1/institutions/{submitted}").json()
    assert record["status"] == "active"
    assert record["valid_from"] == "2024-03-15"


def test_a_rejection_records_the_reason(api: Api, regulator: FormClient, submitted: str) -> None:
    data = {"decision": "reject", "occurred_on": "2024-03-15", "reason": "考核场所不符合要求"}
    assert regulator.fill(review(submitted), data).status_code == 303
    trail = api.get(f"/api/v1/institutions/{submitted}/events").json()
    assert trail[-1]["type"] == "FilingRejected"
    assert trail[-1]["data"]["reason"] == "考核场所不符合要求"


def test_htmx_is_answered_with_a_redirect_header(regulator: FormClient, submitted: str) -> None:
    response = regulator.fill(review(submitted), APPROVE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/institutions/{submitted}"


def test_the_form_carries_its_tokens_and_loads_htmx_from_here(
    regulator: FormClient, submitted: str
) -> None:
    form = regulator.open(review(submitted))
    assert len(form.csrf) == 64
    assert form.key
    assert regulator.open(review(submitted)).key != form.key, "each rendering has a fresh key"
    assert '<script src="/static/vendor/htmx/htmx.min.js"></script>' in form.page
    assert 'hx-post="' in form.page
    assert "<script>" not in form.page
    static = regulator.client.get("/static/vendor/htmx/htmx.min.js")
    assert static.status_code == 200
    assert "htmx" in static.text[:2000]


# --- CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "headers"),
    [
        ({"csrf_token": ""}, None),
        ({"csrf_token": "0" * 64}, None),
        ({}, {"Origin": "https://evil.example"}),
        ({}, {"Origin": "null"}),
        ({}, {"Referer": "https://evil.example/form"}),
    ],
    ids=["missing", "wrong", "foreign-origin", "null-origin", "foreign-referer"],
)
def test_a_form_failing_the_csrf_checks_writes_nothing(
    api: Api,
    regulator: FormClient,
    submitted: str,
    hidden: dict[str, str],
    headers: dict[str, str] | None,
) -> None:
    before = events_of(api, submitted)
    form = regulator.open(review(submitted))
    response = regulator.send(form, APPROVE, hidden=hidden, headers=headers)
    assert response.status_code == 403
    assert "未作任何记录" in response.text
    assert events_of(api, submitted) == before


def test_a_token_of_another_session_is_refused(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    other = FormClient.of(api, api.token("regulator", **JINJIANG))
    theirs = other.open(review(submitted))
    form = regulator.open(review(submitted))
    response = regulator.send(form, APPROVE, hidden={"csrf_token": theirs.csrf})
    assert response.status_code == 403
    assert events_of(api, submitted) == ["FilingSubmitted"]


def test_a_same_site_origin_is_accepted(regulator: FormClient, submitted: str) -> None:
    form = regulator.open(review(submitted))
    response = regulator.send(form, APPROVE, headers={"Origin": "http://testserver"})
    assert response.status_code == 303


# --- double submission -----------------------------------------------------------------


def test_the_same_form_sent_twice_records_once(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    form = regulator.open(review(submitted))
    first = regulator.send(form, APPROVE)
    second = regulator.send(form, APPROVE)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert events_of(api, submitted).count("FilingApproved") == 1


def test_the_same_key_with_other_values_is_refused(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    form = regulator.open(review(submitted))
    assert regulator.send(form, APPROVE).status_code == 303
    again = regulator.send(form, {"decision": "reject", "reason": "x"})
    assert again.status_code == 422
    assert refusal_of(again.text)["field"] == "idempotency_key"
    assert events_of(api, submitted) == ["FilingSubmitted", "FilingApproved"]


def test_a_form_without_a_key_records_nothing(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    form = regulator.open(review(submitted))
    response = regulator.send(form, APPROVE, hidden={"idempotency_key": ""})
    assert response.status_code == 422
    assert events_of(api, submitted) == ["FilingSubmitted"]


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "headline"),
    [("zh", "原因：填写内容不被接受"), ("en", "Reason: this value is not accepted")],
)
def test_a_refusal_is_shown_beside_its_field_in_both_languages(
    api: Api, regulator: FormClient, submitted: str, lang: str, headline: str
) -> None:
    regulator.client.get("/", params={"lang": lang})
    response = regulator.fill(review(submitted), {"decision": "reject", "reason": ""})
    assert response.status_code == 422
    refusal = refusal_of(response.text)
    assert refusal["field"] == "reason"
    assert refused_beside(response.text, "reason")
    assert refusal["headline"] == headline
    assert "reason" in refusal["detail"]
    assert events_of(api, submitted) == ["FilingSubmitted"]
    again = refusal_of(response.text)
    assert again == refusal
    assert 'value="reject" checked' in response.text, "the values sent are shown again"


def test_a_refusal_answers_a_fresh_key(regulator: FormClient, submitted: str) -> None:
    form = regulator.open(review(submitted))
    refused = regulator.send(form, {"decision": "reject", "reason": ""})
    assert refused.status_code == 422
    assert "FilingApproved" not in refused.text
    assert form_of(refused.text, form.action).key != form.key


def test_a_step_that_is_not_open_is_refused_with_the_domains_reason(
    api: Api, regulator: FormClient
) -> None:
    iid = api.approved()["id"]
    response = regulator.fill(review(iid), APPROVE)
    assert response.status_code == 409
    refusal = refusal_of(response.text)
    assert "active" in refusal["detail"]
    assert events_of(api, iid) == ["FilingSubmitted", "FilingApproved"]


# --- who may take a step ---------------------------------------------------------------


def _outsiders(api: Api, iid: str) -> dict[str, dict[str, str]]:
    return {
        "institution": api.token("institution", jurisdiction="chengdu", institution=UUID(iid)),
        "reviewer": api.token("reviewer"),
        "supervisor": api.token("supervisor", jurisdiction="chengdu"),
        "other-district": api.token("regulator", jurisdiction="chengdu", district="武侯区"),
        "other-jurisdiction": api.token("regulator", jurisdiction="hunan"),
    }


def test_only_a_regulator_in_scope_may_open_or_post_a_step(
    api: Api, regulator: FormClient, submitted: str
) -> None:
    mine = regulator.open(review(submitted))
    for who, headers in _outsiders(api, submitted).items():
        outsider = FormClient.of(api, headers)
        page = outsider.client.get(review(submitted))
        assert page.status_code in (403, 404), who
        assert 'name="csrf_token"' not in page.text, who
        own: dict[str, Any] = {"csrf_token": _token_of(outsider, submitted)}
        posted = outsider.send(mine, APPROVE, hidden=own)
        assert posted.status_code in (403, 404), who
    assert events_of(api, submitted) == ["FilingSubmitted"]


def _token_of(client: FormClient, iid: str) -> str:
    """The CSRF token the outsider's own session would carry (from any form it may open)."""
    settings = client.api.client.app.state.settings  # type: ignore[attr-defined]
    return csrf_token(settings.form_secret.get_secret_value(), client.secret)


def test_an_unknown_institution_is_not_found(regulator: FormClient) -> None:
    response = regulator.client.get("/institutions/not-an-id/workbench/review")
    assert response.status_code == 404
    response = regulator.client.get(
        "/institutions/00000000-0000-0000-0000-000000000000/workbench/review"
    )
    assert response.status_code == 404
