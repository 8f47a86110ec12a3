"""Hostile input to the pages' forms (``application/x-www-form-urlencoded`` and
``multipart/form-data``), on SQLite and PostgreSQL: every form-post route of the pages is
listed here, and each refuses what no browser of ours sends with a clear answer (the form
again with the refusal beside the field it names, or the page of the refusal with its
status), never a 5xx, and writes nothing: no event, no stored file.

What a step form refuses beside the field (422): a value that is not UTF-8, an encoded lone
surrogate, a NUL or another control character, a field the form does not have, a field of
one value sent twice, and what the API's request body refuses (missing, of the wrong type,
too long). What refuses the whole body before it is read: another content type (415), a
body over ``MAX_FORM_BYTES`` or with more than ``MAX_FORM_FIELDS`` fields (413), a multipart
body that does not parse (400), a post from another site or without the form's token (403).
Field values are also drawn by hypothesis, bounded to a few dozen requests.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.i18n import LANG_COOKIE
from api.routes.pages import officers, portal, workbench
from api.routes.pages.forms import (
    MACHINERY,
    MAX_FORM_BYTES,
    MAX_FORM_FIELDS,
    URLENCODED,
    Fields,
    Step,
)
from api.routes.pages.login import LOGIN_FIELDS
from config.settings import Settings
from domain.errors import InvalidInput
from tests.api.conftest import Api
from tests.api.forms import FormClient, refusal_of
from tests.api.test_user_sign_in import PASSWORD, csrf_of
from tests.api.test_user_sign_in import users as users  # the sign-in tests' user li.wei
from tests.conftest import FakeClock
from tests.fuzz.seed import Seeded, seed
from tests.security.conftest import api_on

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EVIL = "https://evil.example"

#: Every step form of the pages, by its route (path parameters filled from the seed).
STEPS: dict[str, Step[Any]] = {
    "/institutions/{iid}/workbench/review": workbench.REVIEW,
    "/institutions/{iid}/workbench/finding": workbench.FINDING,
    "/institutions/{iid}/workbench/case": workbench.CASE,
    "/institutions/{iid}/workbench/cases/{case_id}/notice": workbench.NOTICE,
    "/institutions/{iid}/workbench/cases/{case_id}/defence": workbench.DEFENCE,
    "/institutions/{iid}/workbench/cases/{case_id}/decision": workbench.DECISION,
    "/institutions/{iid}/workbench/cases/{case_id}/service": workbench.SERVICE,
    "/institutions/{iid}/workbench/decisions/{decision_id}/interview": workbench.INTERVIEW,
    "/institutions/{iid}/workbench/decisions/{decision_id}/rectification": (
        workbench.RECTIFICATION
    ),
    "/institutions/{iid}/workbench/appeals/{appeal_id}/outcome": workbench.APPEAL,
    "/institutions/{iid}/workbench/officer": officers.OFFICER,
    "/portal/{iid}/filing": portal.FILING,
    "/portal/{iid}/renewal": portal.RENEWAL,
    "/portal/{iid}/scope": portal.SCOPE,
    "/portal/{iid}/details": portal.DETAILS,
    "/portal/{iid}/batches": portal.BATCH,
    "/portal/{iid}/cases/{case_id}/answer": portal.ANSWER,
    "/portal/{iid}/decisions/{decision_id}/appeal": portal.APPEAL,
}
#: The other form posts, each tested on its own below.
OTHERS = {
    "/login",
    "/logout",
    "/account/tokens",
    "/account/password",
    "/account/tokens/{tid}/revoke",
    "/rulebooks/impact",
    "/portal/{iid}/decisions/{decision_id}/report",
}


@pytest.fixture
def seeded(settings: Settings, clock: FakeClock, tmp_path: Any) -> Iterator[Seeded]:
    """The app on this backend with the fuzz tests' seed, and an attachment store of 4 KiB
    files in the test's own folder."""
    store = {"attachments_dir": tmp_path / "attachments", "attachment_max_bytes": 4096}
    with api_on(settings, clock, **store) as api:
        yield seed(api)


@pytest.fixture
def bench(seeded: Seeded) -> FormClient:
    """A Chengdu regulator's browser."""
    return FormClient.of(seeded.api, seeded.api.token("regulator", jurisdiction="chengdu"))


@pytest.fixture
def own(seeded: Seeded) -> FormClient:
    """The browser of the seed's Chengdu institution, on its portal."""
    iid = UUID(chengdu(seeded)["iid"])
    token = seeded.api.token("institution", jurisdiction="chengdu", institution=iid)
    return FormClient.of(seeded.api, token)


@pytest.fixture
def written(seeded: Seeded, bench: FormClient, own: FormClient) -> Callable[[], bool]:
    """Whether anything was written since the fixture was set up (an event, a file), which
    is after the browsers' tokens were issued."""
    before = seeded.position()
    folder = seeded.api.client.app.state.attachments.root  # type: ignore[attr-defined]
    files = sorted(folder.iterdir()) if folder.exists() else []

    def check() -> bool:
        now = sorted(folder.iterdir()) if folder.exists() else []
        return seeded.position() != before or now != files

    return check


def chengdu(seeded: Seeded) -> dict[str, str]:
    """The path parameters of the seed's Chengdu record (a case decided, served, appealed)."""
    ids = seeded.ids
    return {
        "iid": ids["iid"][0],
        "case_id": ids["case_id"][0],
        "decision_id": ids["decision_id"][0],
        "appeal_id": ids["appeal_id"][0],
    }


def browser_for(route: str, bench: FormClient, own: FormClient) -> FormClient:
    return own if route.startswith("/portal/") else bench


def raw_post(
    client: FormClient | TestClient,
    path: str,
    body: bytes,
    hidden: dict[str, str] | None = None,
    content_type: str = URLENCODED,
    **headers: str,
) -> Any:
    """``body`` after the form's hidden fields, sent as it is."""
    prefix = urlencode(hidden).encode() + b"&" if hidden else b""
    http = client.client if isinstance(client, FormClient) else client
    sent = {"Content-Type": content_type, **headers}
    return http.post(path, content=prefix + body, headers=sent, follow_redirects=False)


def beside(response: Any, field: str, reason: str = "") -> dict[str, str]:
    """The form again, 422, with the refusal on ``field`` saying ``reason``."""
    assert response.status_code == 422, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    refusal = refusal_of(response.text)
    assert (refusal["field"], refusal["status"]) == (field, "422"), refusal
    assert reason in refusal["detail"], refusal
    return refusal


def refused_page(response: Any, status: int, *words: str) -> str:
    """The page of a refusal with ``status``, saying nothing was recorded and ``words``."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    text = html.unescape(response.text)
    assert "未作任何记录" in text or "nothing was recorded" in text
    for word in words:
        assert word in text, word
    return text


# --- every form post is listed ---------------------------------------------------------------


def test_every_form_post_of_the_pages_is_tested_here(api: Api) -> None:
    routes = {
        route.path
        for included in api.client.app.routes
        for route in getattr(getattr(included, "original_router", None), "routes", [])
        if "POST" in getattr(route, "methods", ()) and not getattr(route, "include_in_schema", 1)
    }
    assert routes == set(STEPS) | OTHERS


# --- the step forms --------------------------------------------------------------------------


def inputs_of(page: str, form: str) -> tuple[list[str], dict[str, set[str]]]:
    """The names of the inputs of the form whose opening tag holds ``form``, each as often
    as the form holds it, and those of its checkboxes and of its radio buttons."""
    start = page.index(form)
    body = page[start : page.index("</form>", start)]
    names = re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', body)
    kinds = {k: set(re.findall(f'type="{k}" name="([^"]+)"', body)) for k in ("checkbox", "radio")}
    return names, kinds


def test_what_a_browser_sends_passes_the_checks(
    seeded: Seeded, bench: FormClient, own: FormClient
) -> None:
    """Each form's own inputs are fields of it, and only its checkboxes send a name more
    than once: what the checks refuse is nothing a browser sends from the page."""
    params = chengdu(seeded)
    for route, step in STEPS.items():
        client, path = browser_for(route, bench, own), route.format(**params)
        names, kinds = inputs_of(client.open(path).page, 'id="step-form"')
        assert set(names) <= {*step.names, *step.inputs, *MACHINERY}, route
        repeated = {n for n in names if names.count(n) > 1}
        assert repeated <= kinds["checkbox"] | kinds["radio"], route  # a radio sends one
        assert kinds["checkbox"] <= set(step.lists), route
    report = "/portal/{iid}/decisions/{decision_id}/report".format(**params)
    names, _ = inputs_of(own.open(report).page, 'id="step-form"')
    assert set(names) == {"report", "attachments", "occurred_on", *MACHINERY}
    login, _ = inputs_of(TestClient(seeded.api.client.app).get("/login").text, "<form")
    assert set(login) <= {*LOGIN_FIELDS, "next", *MACHINERY}


def _hostile(step: Step[Any]) -> list[tuple[bytes, str, str]]:
    """``(pair, field, reason)``: what each step form must refuse beside ``field``."""
    one = next(n for n in step.names if n not in step.lists)
    name = quote(one).encode()
    return [
        (b"bogus=1", "bogus", "bogus is not a field of this form"),
        (name + b"=a&" + name + b"=b", one, f"{one} was sent 2 times; it takes one value"),
        (name + b"=%FF%FE", one, f"{one} is not valid UTF-8"),
        (name + b"=\xff", one, f"{one} is not valid UTF-8"),
        (name + b"=%ED%A0%80", one, f"{one} is not valid UTF-8"),  # a lone surrogate, encoded
        (name + b"=a%00b", one, f"{one} holds the character U+0000 at 1"),
        (name + b"=%1B%5B31m", one, f"{one} holds the character U+001B at 0"),
        (b"%FF=1", "\ufffd", "is not valid UTF-8"),
    ]


def test_every_step_form_refuses_hostile_fields_beside_them(
    seeded: Seeded, bench: FormClient, own: FormClient, written: Callable[[], bool]
) -> None:
    params = chengdu(seeded)
    for route, step in STEPS.items():
        client, path = browser_for(route, bench, own), route.format(**params)
        for pair, field, reason in _hostile(step):
            form = client.open(path)
            beside(raw_post(client, path, pair, form.hidden), field, reason)
        assert not written(), route


def test_every_step_form_refuses_a_body_it_cannot_read(
    seeded: Seeded, bench: FormClient, own: FormClient, written: Callable[[], bool]
) -> None:
    params = chengdu(seeded)
    too_long = b"reason=" + b"%E7%90%86" * (MAX_FORM_BYTES // 9 + 1)
    too_many = b"&".join(b"f%d=1" % n for n in range(MAX_FORM_FIELDS + 1))
    for route in STEPS:
        client, path = browser_for(route, bench, own), route.format(**params)
        hidden = client.open(path).hidden
        refused_page(raw_post(client, path, too_long, hidden), 413, str(MAX_FORM_BYTES))
        refused_page(raw_post(client, path, too_many, hidden), 413, str(MAX_FORM_FIELDS))
        as_json = raw_post(client, path, b'{"a": 1}', content_type="application/json")
        refused_page(as_json, 415, URLENCODED, "application/json")
        multipart = client.client.post(
            path, data=hidden, files={"f": ("a.txt", b"x")}, follow_redirects=False
        )
        refused_page(multipart, 415, "multipart/form-data")
        assert not written(), route


def test_every_step_form_refuses_a_cross_site_post(
    seeded: Seeded, bench: FormClient, own: FormClient, written: Callable[[], bool]
) -> None:
    params = chengdu(seeded)
    for route in STEPS:
        client, path = browser_for(route, bench, own), route.format(**params)
        form = client.open(path)
        for headers in ({"Origin": EVIL}, {"Referer": EVIL + "/x"}, {"Origin": "null"}):
            response = client.send(form, {}, headers=headers)
            refused_page(response, 403, "其他网站")
        no_token = client.send(form, {}, hidden={"csrf_token": ""})
        refused_page(no_token, 403, "校验码")
        assert not written(), route


def test_the_refusal_is_worded_in_the_pages_language(seeded: Seeded, bench: FormClient) -> None:
    path = "/institutions/{iid}/workbench/review".format(**chengdu(seeded))
    client = bench
    client.client.cookies.set(LANG_COOKIE, "en")
    form = client.open(path)
    refusal = beside(raw_post(client, path, b"reason=%00", form.hidden), "reason")
    assert refusal["headline"] == "Reason: this value is not accepted"
    as_json = raw_post(client, path, b"{}", content_type="application/json")
    refused_page(as_json, 415, "The form must be sent as application/x-www-form-urlencoded")


def test_what_the_request_body_refuses_is_refused_beside_its_field(
    seeded: Seeded, bench: FormClient, own: FormClient, written: Callable[[], bool]
) -> None:
    params = chengdu(seeded)
    finding = "/institutions/{iid}/workbench/finding".format(**params)
    facts = {"rule_id": "chengdu-2024/30.11", "severity": "minor", "source": "inspection"}
    facts |= {"occurred_on": "2024-05-20"}
    for data, field, reason in [
        (facts, "facts", "Field required"),
        ({**facts, "facts": "实" * 8001}, "facts", "at most 8000 characters"),
        ({**facts, "facts": "x", "occurred_on": "20/05/2024"}, "occurred_on", "YYYY-MM-DD"),
        ({**facts, "facts": "x", "severity": "catastrophic"}, "severity", ""),
    ]:
        beside(bench.fill(finding, data), field, reason)
    path = "/portal/{iid}/batches".format(**params)
    batch = {"batch_id": "B-9", "occupation": "4-03-02-01", "level": "4", "site": "东大街考点"}
    batch |= {"evaluated_on": "2024-05-20", "unqualified_candidates": "0", "passed": "1"}
    for value, reason in [("ten", "valid integer"), ("-1", "greater than or equal to")]:
        beside(own.fill(path, {**batch, "candidates": value}), "candidates", reason)
    assert not written()


def test_a_long_text_fits_whole_where_it_was_cut_before(api: Api) -> None:
    """8,000 Chinese characters are 72,000 bytes percent-encoded: the whole text is kept."""
    iid = api.approved()["id"]
    path = f"/institutions/{iid}/workbench/finding"
    facts = "经查考场秩序混乱" * 1000
    data = {
        "rule_id": "chengdu-2024/30.11",
        "severity": "minor",
        "source": "inspection",
        "occurred_on": "2024-03-18",
        "facts": facts,
    }
    bench = FormClient.of(api, api.token("regulator", jurisdiction="chengdu"))
    response = bench.fill(path, data)
    assert response.status_code == 303, response.text[:2000]
    events = api.get(f"/api/v1/institutions/{iid}/events").json()
    recorded = next(e for e in reversed(events) if e["type"] == "FindingRecorded")
    assert recorded["data"]["facts"] == facts


# --- field values drawn by hypothesis --------------------------------------------------------

#: What no value of a form holds: each control character but tab and line breaks.
BAD = [chr(c) for c in (*range(0x20), 0x7F) if chr(c) not in "\t\r\n"]
values = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=40)
#: Any text, lone surrogates and control characters more often than chance.
anything = st.text(st.one_of(st.characters(), st.sampled_from(["\ud800", "\udfff", *BAD])))


def _bad(value: str) -> str | None:
    return next((c for c in value if c in BAD or "\ud800" <= c <= "\udfff"), None)


@given(st.binary(max_size=300))
def test_any_body_is_read_or_refused_naming_a_field(body: bytes) -> None:
    fields = Fields.parse(body)  # 300 bytes are within both limits
    problems = {name for name, _ in fields.problems}
    if problems:
        with pytest.raises(InvalidInput) as refused:
            fields.check(set(fields.values))
        assert refused.value.field in problems
    else:
        fields.check(set(fields.values))
        assert all(_bad(v) is None for vs in fields.values.values() for v in vs)


@given(st.sampled_from(["reason", "名称"]), anything)
def test_a_value_is_read_as_sent_or_refused_naming_its_field(name: str, value: str) -> None:
    raw = quote(name).encode() + b"=" + quote(value.encode("utf-8", "surrogatepass")).encode()
    fields = Fields.parse(raw)
    if _bad(value) is not None:
        with pytest.raises(InvalidInput) as refused:
            fields.check({name})
        assert refused.value.field == name
    else:
        fields.check({name})
        assert fields.get(name) == value.strip()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(workbench.REVIEW.names),
    before=values,
    bad=st.sampled_from([c.encode() for c in BAD] + [b"\xff", b"\xed\xa0\x80", b"\xc3"]),
    after=values,
)
def test_drawn_hostile_values_are_refused_beside_their_field(
    seeded: Seeded,
    bench: FormClient,
    written: Callable[[], bool],
    field: str,
    before: str,
    bad: bytes,
    after: str,
) -> None:
    path = "/institutions/{iid}/workbench/review".format(**chengdu(seeded))
    client = bench
    value = quote(before.encode() + bad + after.encode()).encode()
    response = raw_post(client, path, field.encode() + b"=" + value, client.open(path).hidden)
    assert response.status_code < 500
    beside(response, field)
    assert not written()


# --- the rectification report (multipart, with files) ----------------------------------------


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"Content-Disposition: {disposition}\r\n"
    if filename:
        head += "Content-Type: application/pdf\r\n"
    return b"--zz\r\n" + head.encode() + b"\r\n" + value + b"\r\n"


def test_the_report_form_refuses_hostile_parts_and_keeps_no_file(
    seeded: Seeded, bench: FormClient, own: FormClient, written: Callable[[], bool]
) -> None:
    params = chengdu(seeded)
    client = own
    path = "/portal/{iid}/decisions/{decision_id}/report".format(**params)
    pdf = [("attachments", ("报告.pdf", PDF, "application/pdf"))]

    def send(data: dict[str, str], files: list[Any] = pdf, **headers: str) -> Any:
        form = client.open(path)
        body = {**form.hidden, "occurred_on": "2024-05-20", **data}
        return client.client.post(path, data=body, files=files, headers=headers)

    def crafted(*parts: bytes, boundary: str = "zz") -> Any:
        form = client.open(path)
        hidden = b"".join(_part(k, v.encode()) for k, v in form.hidden.items())
        body = hidden + b"".join(parts) + b"--zz--\r\n"
        content_type = f"multipart/form-data; boundary={boundary}"
        return raw_post(client, path, body, content_type=content_type)

    for data, field, reason in [
        ({"report": ""}, "report", "Field required"),  # a good file, but no report
        ({"report": "已整改\x00"}, "report", "U+0000"),
        ({"report": "整" * 8001}, "report", "at most"),
        ({"report": "已整改", "bogus": "1"}, "bogus", "not a field of this form"),
        ({"report": "已整改", "attachments": "deadbeef"}, "attachments", "takes files only"),
    ]:
        beside(send(data), field, reason)
    for files, reason in [
        ([("attachments", ("空.pdf", b"", "application/pdf"))], "is empty"),
        ([("attachments", ("a.exe", b"MZ\x90\x00", "application/pdf"))], "is not one of"),
        ([("attachments", ("a\x1b[2J.pdf", PDF, "application/pdf"))], "U+001B"),
        ([("report", ("r.pdf", PDF, "application/pdf"))], "takes text only"),
    ]:
        field = "report" if files[0][0] == "report" else "attachments"
        beside(send({"report": "已整改"}, files), field, reason)
    too_big = send({"report": "已整改"}, [("attachments", ("大.pdf", PDF + b"0" * 4096, "x"))])
    assert too_big.status_code == 413
    assert refusal_of(too_big.text)["field"] == "attachments"
    twice = crafted(_part("report", b"a"), _part("report", b"b"))
    beside(twice, "report", "report was sent 2 times")
    nul_name = crafted(_part("report", b"ok"), _part("attachments", PDF, filename="a\x00.pdf"))
    beside(nul_name, "attachments", "U+0000")
    many = [("attachments", (f"{n}.pdf", PDF, "application/pdf")) for n in range(12)]
    beside(send({"report": "x"}, many), "attachments", "at most 10 files")
    refused_page(send({"report": "x"}, many * 5), 400, "Too many files")
    refused_page(crafted(_part("report", b"x"), boundary="other"), 400, "multipart")
    no_boundary = raw_post(client, path, b"--zz\r\n", content_type="multipart/form-data")
    refused_page(no_boundary, 400, "boundary")
    urlencoded = raw_post(client, path, b"report=ok", client.open(path).hidden)
    refused_page(urlencoded, 415, "multipart/form-data")
    refused_page(raw_post(client, path, b"{}", content_type="application/json"), 415)
    refused_page(send({"report": "已整改"}, Origin=EVIL), 403)
    refused_page(send({"report": "已整改"}, Referer=EVIL + "/"), 403)
    refused_page(send({"report": "已整改", "csrf_token": "x"}), 403)
    assert not written()


# --- the draft rulebook's impact (multipart; it records nothing, but must not fail) ----------


def test_the_impact_form_refuses_a_body_it_cannot_read(api: Api) -> None:
    client = FormClient.of(api, api.token("regulator", jurisdiction="chengdu"))
    data = {"csrf_token": csrf_of(client.client.get("/rulebooks/impact").text)}
    two = [("draft_file", ("a.yaml", b"a: 1")), ("draft_file", ("b.yaml", b"b: 2"))]
    post = client.client.post
    refused_page(post("/rulebooks/impact", data=data, files=two), 400, "Too many files")
    many = {**data, **{f"x{n}": "1" for n in range(11)}}
    refused_page(post("/rulebooks/impact", data=many, files=two[:1]), 400, "Too many fields")
    bad = raw_post(client, "/rulebooks/impact", b"--x\r\n", content_type="multipart/form-data")
    refused_page(bad, 400, "boundary")
    refused_page(raw_post(client, "/rulebooks/impact", b"draft_text=x", data), 415)
    binary = post("/rulebooks/impact", data=data, files={"draft_file": ("x.yaml", b"\xff\x00")})
    assert binary.status_code == 422
    nul = post("/rulebooks/impact", data={**data, "as_of": "2024\x00"}, files=two[:1])
    assert nul.status_code == 422
    assert "is not a date" in html.unescape(nul.text)


# --- signing in and out ----------------------------------------------------------------------


def login_token(client: TestClient) -> str:
    return csrf_of(client.get("/login").text)


def test_the_sign_in_form_refuses_hostile_input_before_looking_at_the_password(
    users: Api,
) -> None:
    before = users.app.store.recorder.max_notification_id()
    client = TestClient(users.client.app)
    hidden = {"csrf_token": login_token(client)}
    for body, status, words in [
        (b"name=li.wei&password=x%00y", 422, "password holds the character U+0000"),
        (b"name=li%00wei&password=" + PASSWORD.encode(), 422, "name holds the character"),
        (b"name=%FF&password=x", 422, "name is not valid UTF-8"),
        (b"name=li.wei&password=%ED%A0%80", 422, "password is not valid UTF-8"),
        (b"name=li.wei&name=wang&password=x", 422, "name was sent 2 times"),
        (b"name=li.wei&password=x&role=admin", 422, "role is not a field of this form"),
        (b"token=sov_%00", 422, "token holds the character U+0000"),
        (b"name=li.wei&password=" + b"x" * MAX_FORM_BYTES, 413, str(MAX_FORM_BYTES)),
        (b"name=li.wei", 422, "用户名和密码"),
    ]:
        response = raw_post(client, "/login", body, hidden)
        assert response.status_code == status, (body[:60], response.text[:2000])
        assert words in html.unescape(response.text), body[:60]
    as_json = raw_post(client, "/login", b'{"name": "li.wei"}', content_type="application/json")
    assert as_json.status_code == 415
    assert users.app.store.recorder.max_notification_id() == before, "no attempt was counted"


def test_the_sign_in_form_and_signing_out_refuse_a_cross_site_post(users: Api) -> None:
    before = users.app.store.recorder.max_notification_id()
    client = TestClient(users.client.app)
    password = {"csrf_token": login_token(client), "name": "li.wei", "password": PASSWORD}
    admin_token = users.admin["Authorization"].removeprefix("Bearer ")
    for data in (password, {"token": admin_token}):
        for headers in ({"Origin": EVIL}, {"Referer": EVIL + "/login"}, {"Origin": "null"}):
            response = client.post("/login", data=data, headers=headers, follow_redirects=False)
            assert response.status_code == 403, (data.keys(), headers)
            assert (
                "set-cookie" not in response.headers
                or "oversight_session" not in (response.headers["set-cookie"])
            )
    forged = client.post("/login", data={**password, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert users.app.store.recorder.max_notification_id() == before
    signed_in = client.post("/login", data=password, follow_redirects=False)
    assert signed_in.status_code == 303
    away = client.post("/logout", headers={"Origin": EVIL}, follow_redirects=False)
    assert away.status_code == 403
    assert "set-cookie" not in away.headers, "a cross-site post does not sign the user out"
    assert client.get("/account").status_code == 200
    assert client.post("/logout", follow_redirects=False).status_code == 303


# --- the account page ------------------------------------------------------------------------


def test_the_account_forms_refuse_hostile_input_and_cross_site_posts(users: Api) -> None:
    client = TestClient(users.client.app)
    signed_in = client.post(
        "/login",
        data={"csrf_token": login_token(client), "name": "li.wei", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    before = users.app.store.recorder.max_notification_id()
    hidden = {"csrf_token": csrf_of(client.get("/account").text)}
    for path, body, words in [
        ("/account/tokens", b"note=%00", "note holds the character U+0000"),
        ("/account/tokens", b"note=%FF", "note is not valid UTF-8"),
        ("/account/tokens", b"note=a&note=b", "note was sent 2 times"),
        ("/account/tokens", b"note=a&role=admin", "role is not a field of this form"),
        ("/account/tokens", b"days=ten", "days must be a whole number"),
        ("/account/tokens", b"days=" + b"9" * 5000, "days must be a whole number"),
        ("/account/tokens", b"days=0", "days must be 1 to 365"),
        ("/account/tokens", b"note=" + b"n" * 201, "at most 200 characters"),
        ("/account/password", b"current_password=%00&password=x&password_again=x", "U+0000"),
        ("/account/password", b"current_password=a&password=b&password_again=c", "differ"),
    ]:
        response = raw_post(client, path, body, hidden)
        assert response.status_code == 422, (path, body[:60], response.text[:2000])
        assert words in html.unescape(response.text), (path, body[:60])
    revoke = "/account/tokens/00000000-0000-4000-8000-000000000000/revoke"
    for path in ("/account/tokens", "/account/password", revoke):
        for headers in ({"Origin": EVIL}, {"Referer": EVIL + "/"}):
            response = raw_post(client, path, b"note=x", hidden, **headers)
            assert response.status_code == 403, (path, headers)
        assert raw_post(client, path, b"note=x").status_code == 403  # without the token
        as_json = raw_post(client, path, b"{}", content_type="application/json")
        assert as_json.status_code == 415, path
    assert users.app.store.recorder.max_notification_id() == before
