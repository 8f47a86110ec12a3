"""The draft-impact page without a browser: the form, a malformed draft refused with its
line and field, a run's progress polled until it ends, then the institutions that differ,
the totals and their CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Api
from tests.api.test_rulebook_impact import filed
from tests.drafts import article_25_at_level_2, with_level

PATH = "/rulebooks/impact"
CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')


def signed_in(api: Api, headers: dict[str, str]) -> TestClient:
    client = TestClient(api.client.app)
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": secret}, follow_redirects=False).status_code == 303
    return client


def send(client: TestClient, text: str, **fields: str) -> Any:
    page = client.get(PATH)
    assert page.status_code == 200, page.text
    token = html.unescape(CSRF.findall(page.text)[0])
    return client.post(
        PATH,
        data={"csrf_token": token, **fields},
        files={"draft_file": ("draft.yaml", text.encode(), "application/yaml")},
        follow_redirects=False,
    )


def finished(client: TestClient, location: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = client.get(location + "/progress")
        assert progress.status_code == 200, progress.text
        if progress.headers.get("HX-Refresh") == "true":
            assert 'data-done="true"' in progress.text
            page = client.get(location)
            assert page.status_code == 200
            return page.text
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def test_a_draft_run_from_the_page_lists_the_institutions_it_changes(api: Api) -> None:
    under_25 = filed(api, 1, "长沙市", "hunan-2023/25.1")
    filed(api, 2, "长沙市", "hunan-2023/26.7")
    client = signed_in(api, api.admin)
    sent = send(client, article_25_at_level_2(), as_of="2024-03-20")
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    page = finished(client, location)
    assert 'data-testid="impact-changes"' in page
    assert "hunan-2023/25" in page
    rows = re.findall(r'<tr data-institution="([^"]+)" data-what="([^"]+)">', page)
    assert {iid for iid, _ in rows} == {under_25}
    assert "level" in {what for _, what in rows}
    assert "FindingRecorded#" in page
    assert 'id="chart-impact-district"' in page
    assert 'id="chart-impact-article"' in page
    english = client.get(location, params={"lang": "en"}).text
    assert "Institutions that differ" in english
    csv = client.get(location, params={"format": "csv", "table": "by_article"})
    assert csv.status_code == 200
    assert "hunan-2023/25.1,1" in csv.text.replace("\r", "")
    other = signed_in(api, api.token("reviewer"))
    assert other.get(location).status_code == 404, "a run is its starter's own"


def test_a_malformed_draft_is_shown_again_with_its_line_and_field(api: Api) -> None:
    client = signed_in(api, api.admin)
    bad, line = with_level("severe")
    refused = send(client, bad)
    assert refused.status_code == 422
    body = refused.text
    assert 'data-testid="draft-problems"' in body
    assert f'data-line="{line}"' in body
    assert re.search(r'data-field="articles\.\d+\.level"', body)


def test_the_page_is_refused_to_an_institution_and_a_regulator_elsewhere(api: Api) -> None:
    filed(api, 1, "长沙市")
    chengdu = signed_in(api, api.token("regulator", jurisdiction="chengdu"))
    assert chengdu.get(PATH).status_code == 200
    assert send(chengdu, article_25_at_level_2()).status_code == 403
    supervisor = signed_in(api, api.token("supervisor", jurisdiction="hunan"))
    assert supervisor.get(PATH).status_code == 403
