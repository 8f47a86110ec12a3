"""The regulator's workbench through its forms (both backends): each step records its event;
CSRF, double submission, refusals beside their field, and who may take a step."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.routes.pages.forms import csrf_token
from tests.api.conftest import Api, code
from tests.api.forms import FormClient, form_of, refusal_of, refused_beside
from tests.api.ladder import Ladder

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


# --- the regulator's steps on a hunan-2023 file ----------------------------------------

YUELU = {"jurisdiction": "hunan", "district": "长沙市岳麓区"}


@pytest.fixture
def hunan(api: Api) -> Ladder:
    inst = api.approved("2024-03-15", credit_code=code(1, "430104"), **YUELU)
    api.clock.set("2024-07-01")
    return Ladder(api, inst["id"])


@pytest.fixture
def bench(api: Api) -> FormClient:
    return FormClient.of(api, api.token("regulator", **YUELU))


def steps(hunan: Ladder) -> str:
    return f"/institutions/{hunan.iid}/workbench"


def done(response: Any, hunan: Ladder) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/institutions/{hunan.iid}"


def record(bench: FormClient, hunan: Ladder, rule_id: str, on: str) -> str:
    data = {"rule_id": rule_id, "occurred_on": on, "severity": "minor", "source": "inspection"}
    done(bench.fill(f"{steps(hunan)}/finding", {**data, "facts": f"{rule_id} 现场检查发现"}), hunan)
    finding: str = events_data(hunan, "FindingRecorded")[-1]["finding_id"]
    return finding


def events_data(hunan: Ladder, name: str) -> list[dict[str, Any]]:
    trail = hunan.api.get(f"/api/v1/institutions/{hunan.iid}/events").json()
    return [e["data"] for e in trail if e["type"] == name]


def noticed(bench: FormClient, hunan: Ladder, rule_id: str = "hunan-2023/25.9") -> str:
    finding = record(bench, hunan, rule_id, "2024-04-01")
    done(
        bench.fill(f"{steps(hunan)}/case", {"finding_ids": [finding], "occurred_on": "2024-04-10"}),
        hunan,
    )
    case_id: str = events_data(hunan, "CaseOpened")[-1]["case_id"]
    notice = {"facts": "档案不全", "reasons": "违反第25条", "occurred_on": "2024-04-10"}
    done(bench.fill(f"{steps(hunan)}/cases/{case_id}/notice", notice), hunan)
    return case_id


def test_the_finding_picker_shows_the_items_in_force_with_text_and_level(
    bench: FormClient, hunan: Ladder
) -> None:
    page = bench.open(f"{steps(hunan)}/finding", on="2024-04-01").page
    assert 'value="hunan-2023/25.9"' in page
    assert "未完整保存技能人才评价全过程档案资料" in page
    assert 'class="badge level-1"' in page
    assert "hunan-2023 v2" in page


def test_a_finding_is_recorded_from_the_picker(api: Api, bench: FormClient, hunan: Ladder) -> None:
    finding = record(bench, hunan, "hunan-2023/25.9", "2024-04-01")
    recorded = events_data(hunan, "FindingRecorded")[-1]
    assert recorded["finding_id"] == finding
    assert recorded["rule_id"] == "hunan-2023/25.9"
    trail = api.get(f"/api/v1/institutions/{hunan.iid}/events").json()
    assert trail[-1]["occurred_on"] == "2024-04-01"


def test_an_item_not_in_force_is_refused_beside_the_picker(
    bench: FormClient, hunan: Ladder
) -> None:
    data = {"rule_id": "chengdu-2024/30.4", "occurred_on": "2024-04-01", "severity": "minor"}
    response = bench.fill(f"{steps(hunan)}/finding", {**data, "source": "inspection", "facts": "x"})
    assert response.status_code == 422
    assert refusal_of(response.text)["field"] == "rule_id"
    assert refused_beside(response.text, "rule_id")
    assert events_data(hunan, "FindingRecorded") == []


def test_the_notice_shows_the_requirement_and_its_grounds(bench: FormClient, hunan: Ladder) -> None:
    finding = record(bench, hunan, "hunan-2023/25.9", "2024-04-01")
    done(bench.fill(f"{steps(hunan)}/case", {"finding_ids": [finding]}), hunan)
    case_id = events_data(hunan, "CaseOpened")[-1]["case_id"]
    page = bench.open(f"{steps(hunan)}/cases/{case_id}/notice").page
    assert 'data-testid="required"' in page
    assert "hunan-2023/25.9（约谈）" in page
    assert '<option value="1" selected>' in page, "the intended level defaults to the requirement"
    done(
        bench.fill(f"{steps(hunan)}/cases/{case_id}/notice", {"facts": "f", "reasons": "r"}), hunan
    )
    notice = events_data(hunan, "NoticeIssued")[-1]
    assert notice["intended_level"] == 1
    assert notice["requirement"]["article"] == "hunan-2023/25.9"


def test_an_interview_ladder_step_by_step(api: Api, bench: FormClient, hunan: Ladder) -> None:
    case_id = noticed(bench, hunan)
    base = f"{steps(hunan)}/cases/{case_id}"
    done(bench.fill(f"{base}/defence", {"answer": "waiver", "occurred_on": "2024-04-12"}), hunan)
    decide = {"level": "1", "reasons": "综合认定", "occurred_on": "2024-04-25"}
    done(bench.fill(f"{base}/decision", decide), hunan)
    decision_id = events_data(hunan, "CaseDecided")[-1]["decision_id"]
    done(bench.fill(f"{base}/service", {"occurred_on": "2024-04-26"}), hunan)
    interview = {
        "attendees": "法定代表人\n主要负责人",
        "pledge": "规范档案",
        "occurred_on": "2024-05-06",
    }
    done(bench.fill(f"{steps(hunan)}/decisions/{decision_id}/interview", interview), hunan)
    held = events_data(hunan, "InterviewHeld")[-1]
    assert held["attendees"] == ["法定代表人", "主要负责人"]
    names = events_of(api, hunan.iid)
    expected = ["DefenceWaived", "CaseDecided", "DecisionServed", "InterviewHeld"]
    assert [n for n in names if n in expected] == expected


def test_a_defence_is_recorded(bench: FormClient, hunan: Ladder) -> None:
    case_id = noticed(bench, hunan)
    data = {"answer": "defence", "statement": "已补齐档案", "occurred_on": "2024-04-12"}
    done(bench.fill(f"{steps(hunan)}/cases/{case_id}/defence", data), hunan)
    assert events_data(hunan, "DefenceSubmitted")[-1]["statement"] == "已补齐档案"


@pytest.mark.parametrize(
    ("lang", "word"),
    [("zh", "低于要求的理由：规则不允许"), ("en", "Reason for going below: the rules")],
)
def test_a_decision_below_the_requirement_needs_a_reason(
    bench: FormClient, hunan: Ladder, lang: str, word: str
) -> None:
    case_id = noticed(bench, hunan)
    base = f"{steps(hunan)}/cases/{case_id}"
    done(bench.fill(f"{base}/defence", {"answer": "waiver", "occurred_on": "2024-04-12"}), hunan)
    bench.client.get("/", params={"lang": lang})
    decide = {"level": "0", "reasons": "情节轻微", "occurred_on": "2024-04-25"}
    refused = bench.fill(f"{base}/decision", decide)
    assert refused.status_code == 422
    refusal = refusal_of(refused.text)
    assert refusal["field"] == "below_reason"
    assert refused_beside(refused.text, "below_reason")
    assert refusal["headline"].startswith(word)
    assert "hunan-2023/25.9" in refusal["detail"]
    assert "未完整保存技能人才评价全过程档案资料" in refused.text, "the cited item's text"
    assert events_data(hunan, "CaseDecided") == []
    done(bench.fill(f"{base}/decision", {**decide, "below_reason": "首次且已整改"}), hunan)
    assert events_data(hunan, "CaseDecided")[-1]["below_requirement"] is True
    service = bench.open(f"{base}/service").page
    assert 'data-testid="below-flag"' in service


def test_service_voids_the_batches_chosen(api: Api, bench: FormClient, hunan: Ladder) -> None:
    batch = {
        "batch_id": "B-1",
        "evaluated_on": "2024-03-20",
        "occupation": "4-03-02-01",
        "level": 4,
        "site": "东大街考点",
        "candidates": 30,
        "unqualified_candidates": 0,
        "passed": 28,
    }
    assert hunan.api.post(f"{hunan.base}/evaluations", batch).status_code == 201
    case_id = noticed(bench, hunan, "hunan-2023/24.1")
    base = f"{steps(hunan)}/cases/{case_id}"
    done(bench.fill(f"{base}/defence", {"answer": "waiver", "occurred_on": "2024-04-12"}), hunan)
    done(bench.fill(f"{base}/decision", {"reasons": "r", "occurred_on": "2024-04-25"}), hunan)
    page = bench.open(f"{base}/service").page
    assert 'value="B-1"' in page
    done(
        bench.fill(f"{base}/service", {"void_batch_ids": ["B-1"], "occurred_on": "2024-04-26"}),
        hunan,
    )
    assert [e["batch_id"] for e in events_data(hunan, "ResultsVoided")] == ["B-1"]


def test_a_rectification_is_accepted(bench: FormClient, hunan: Ladder) -> None:
    finding = hunan.finding("hunan-2023/26.1", "2024-04-01")
    decision_id = hunan.case([finding], "2024-04-10", decide_on="2024-04-25")
    hunan.post(
        f"/decisions/{decision_id}/rectification-reports",
        {"report": "整改报告", "occurred_on": "2024-05-10"},
    )
    path = f"{steps(hunan)}/decisions/{decision_id}/rectification"
    assert f'href="{path}"' in bench.client.get(f"/institutions/{hunan.iid}").text
    assert "整改" in bench.open(path).page
    done(bench.fill(path, {"remarks": "验收合格", "occurred_on": "2024-05-20"}), hunan)
    assert events_data(hunan, "RectificationAccepted")[-1]["remarks"] == "验收合格"


def test_an_appeal_outcome_is_recorded(bench: FormClient, hunan: Ladder) -> None:
    finding = hunan.finding("hunan-2023/25.9", "2024-04-01")
    decision_id = hunan.case([finding], "2024-04-10", decide_on="2024-04-25")
    appeal = {"kind": "reconsideration", "grounds": "事实不清", "occurred_on": "2024-05-01"}
    appeal_id = hunan.post(f"/decisions/{decision_id}/appeals", appeal, 201)["appeal_id"]
    path = f"{steps(hunan)}/appeals/{appeal_id}/outcome"
    data = {"outcome": "annulled", "reasons": "复议撤销", "occurred_on": "2024-06-01"}
    done(bench.fill(path, data), hunan)
    decided = events_data(hunan, "AppealDecided")[-1]
    assert decided["outcome"] == "annulled"
    assert decided["appeal_id"] == appeal_id


def test_the_open_steps_are_linked_from_the_file_and_the_worklist(
    api: Api, bench: FormClient, hunan: Ladder
) -> None:
    case_id = noticed(bench, hunan)
    page = bench.client.get(f"/institutions/{hunan.iid}").text
    assert f'data-testid="step-decision-{case_id}"' in page
    assert f'href="{steps(hunan)}/cases/{case_id}/defence"' in page
    assert 'data-testid="step-notice' not in page
    api.catch_up()
    worklist = bench.client.get("/worklist").text
    assert f'href="{steps(hunan)}/cases/{case_id}/decision"' in worklist
    reviewer = FormClient.of(api, api.token("reviewer"))
    assert (
        'data-testid="workbench-actions"'
        not in reviewer.client.get(f"/institutions/{hunan.iid}").text
    )
    assert "/workbench/" not in reviewer.client.get("/worklist").text


def test_a_regulator_of_another_district_cannot_take_a_case_step(
    api: Api, bench: FormClient, hunan: Ladder
) -> None:
    case_id = noticed(bench, hunan)
    other = FormClient.of(
        api, api.token("regulator", jurisdiction="hunan", district="长沙市天心区")
    )
    path = f"{steps(hunan)}/cases/{case_id}/decision"
    assert other.client.get(path).status_code == 403
    mine = bench.open(path)
    posted = other.send(mine, {"reasons": "r"}, hidden={"csrf_token": _token_of(other, hunan.iid)})
    assert posted.status_code == 403
    assert events_data(hunan, "CaseDecided") == []
