"""Steps of the supervision ladder as a person takes them in the browser, for the ladder tests.

A :class:`LadderServer` is the production web service on an empty SQLite store whose clock
reads :data:`tests.browser.conftest.DEMO_TODAY`. An :class:`Actor` is one signed-in
browser page; each step function opens the step from where a person finds it (the
worklist, or the actions on the institution's file), fills the form, sends it and checks
what the file shows afterwards. Business dates are passed in, so a ladder reads like its
history. ``shots`` (a :class:`Shots`) keeps a Chinese and an English screenshot of each
page taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from api.i18n import EVENT
from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.creditcode import make_credit_code
from domain.institution import FilingApplication
from domain.ledger import Context
from tests.browser.conftest import DEMO_TODAY, serving
from tests.conftest import FakeClock


@dataclass
class LadderServer:
    url: str
    app: OversightApplication
    web: Any

    def catch_up(self) -> None:
        """Bring the read models (the worklist) up to date: the projection worker's job."""
        self.web.state.projections.catch_up()

    def issue(self, name: str, role: str, **scope: Any) -> str:
        secret = f"sov_{name}_{'x' * 24}"
        self.app.access.issue_token(secret, subject=name, role=role, **scope)
        return secret

    def file(self, prefix: str, name: str, jurisdiction: str, district: str, on: date) -> str:
        """A filing submitted, as the institution would (until its portal does it)."""
        application = FilingApplication(
            credit_code=make_credit_code(prefix),
            name=name,
            kind="social_org",
            jurisdiction=jurisdiction,
            district=district,
            address=f"{district}麓山路1号",
            scope=[{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
            test_sites=["麓山路考点"],
            legal_representative="王某",
            contact={"name": "李某", "phone": "0731-00000000"},
        )
        ctx = Context(Principal("filing.desk", "admin"), request_id="browser-setup")
        return str(self.app.filing.submit_filing(ctx, application, on))


@contextmanager
def ladder_server(home: Path) -> Iterator[LadderServer]:
    settings = Settings(
        database_url=f"sqlite:///{home / 'store.db'}", log_format="json", log_level="WARNING"
    )
    app = build_application(settings, clock=FakeClock(DEMO_TODAY))
    web = web_service(settings, app)
    with serving(web) as url:
        yield LadderServer(url, app, web)


@dataclass
class Shots:
    """Screenshots of each page, in Chinese and in English."""

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Any, name: str) -> None:
        """The page as it is (Chinese), then the same address in English, then back."""
        here = page.url
        self._save(page, f"{name}-zh.png")
        page.goto(_with_lang(here, "en"))
        self._save(page, f"{name}-en.png")
        page.goto(_with_lang(here, "zh"))

    def _save(self, page: Any, filename: str) -> None:
        path = self.directory / filename
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


def _with_lang(url: str, lang: str) -> str:
    base = re.sub(r"([?&])lang=[a-z]+&?", r"\1", url).rstrip("?&")
    return f"{base}{'&' if '?' in base else '?'}lang={lang}"


@dataclass
class Actor:
    """One person at one browser page."""

    page: Any
    server: LadderServer
    shots: Shots
    #: Requests to other hosts and errors the page met, but the refusals (422) asked for.
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        here = urlsplit(self.server.url).netloc
        self.page.on("request", lambda r: self._off_site(r.url, here))
        self.page.on("response", lambda r: self._failed(r.status, r.url))
        self.page.on("console", lambda m: self._console(m.type, m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _off_site(self, url: str, here: str) -> None:
        if urlsplit(url).netloc != here:
            self.errors.append(f"off-site request {url}")

    def _failed(self, status: int, url: str) -> None:
        if status >= 400 and status != 422:
            self.errors.append(f"{status} {url}")

    def _console(self, kind: str, text: str) -> None:
        if kind == "error" and "422" not in text:
            self.errors.append(text)

    def sign_in(self, token: str) -> None:
        self.page.goto(self.server.url + "/login")
        self.page.fill("#token", token)
        self.page.click("button[type=submit].primary")
        self.page.wait_for_url(self.server.url + "/")

    def open_file(self, iid: str) -> None:
        self.page.goto(f"{self.server.url}/institutions/{iid}")

    def action(self, iid: str, kind: str) -> str:
        """On the file, follow the first open step of ``kind``; returns what it acts on."""
        self.open_file(iid)
        link = self.page.locator(f"[data-testid^='step-{kind}']").first
        testid = link.get_attribute("data-testid") or ""
        link.click()
        self.page.wait_for_selector("#step-form")
        return testid.removeprefix(f"step-{kind}").removeprefix("-")

    def at(self, on: str) -> None:
        """The same step page as of the business date ``on`` (its rules and default date)."""
        self.page.goto(f"{self.server.url}{self.path}?on={on}")
        self.page.wait_for_selector("#step-form")

    def fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self.page.fill(f"#f-{name}", value)

    def send(self, iid: str) -> None:
        """Submit the step's form and land back on the file."""
        self.page.click("#step-form [data-testid=submit]")
        self.page.wait_for_url(f"{self.server.url}/institutions/{iid}")

    def latest(self, event: str) -> None:
        """The file's timeline ends with ``event`` (its Chinese name)."""
        last = self.page.locator("[data-testid=timeline] li").last
        assert EVENT[event][0] in last.inner_text(), last.inner_text()

    def timeline_has(self, *events: str) -> None:
        text = self.page.locator("[data-testid=timeline]").inner_text()
        for event in events:
            assert EVENT[event][0] in text, event

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path


# --- the regulator's steps -------------------------------------------------------------


def approve_filing(reg: Actor, iid: str, name: str, on: str, *, shoot: bool = False) -> None:
    """From the worklist's filings, review the filing and approve it."""
    reg.server.catch_up()
    reg.page.goto(reg.server.url + "/worklist")
    row = reg.page.locator("[data-testid=worklist-filings] tr", has_text=name)
    row.locator("[data-testid=work-filings]").click()
    reg.page.wait_for_selector("#step-form")
    if shoot:
        reg.shots.take(reg.page, "workbench-review")
    reg.page.check("input[name=decision][value=approve]")
    reg.fill({"occurred_on": on})
    reg.send(iid)
    reg.latest("FilingApproved")


def record_finding(
    reg: Actor, iid: str, rule_id: str, on: str, *, shoot: bool = False, severity: str = "minor"
) -> None:
    """The article picker lists the items in force on the date of the conduct."""
    reg.action(iid, "finding")
    reg.at(on)
    assert reg.page.locator("#f-occurred_on").input_value() == on
    choice = reg.page.locator(f"input[name=rule_id][value='{rule_id}']")
    label = reg.page.locator("label.choice", has=choice)
    assert "badge level-" in label.inner_html(), "each item shows its level"
    if shoot:
        reg.shots.take(reg.page, "workbench-finding")
    choice.check()
    reg.page.select_option("#f-severity", severity)
    reg.fill({"facts": f"{rule_id}：现场检查发现", "reference": f"检查记录 {on}"})
    reg.send(iid)
    reg.latest("FindingRecorded")


def open_case(reg: Actor, iid: str, on: str, *, shoot: bool = False) -> str:
    """Every open finding is proposed for the case."""
    reg.action(iid, "case")
    if shoot:
        reg.shots.take(reg.page, "workbench-case")
    reg.fill({"occurred_on": on})
    reg.send(iid)
    reg.latest("CaseOpened")
    case = reg.page.locator("[data-testid^='step-notice-']").last.get_attribute("data-testid")
    return str(case).removeprefix("step-notice-")


def send_notice(
    reg: Actor, iid: str, on: str, *, level: int, article: str, shoot: bool = False
) -> None:
    """The notice shows what the rules require, and why; the intended level defaults to it."""
    reg.action(iid, "notice")
    reg.at(on)
    required = reg.page.locator("[data-testid=required]").inner_text()
    assert article in required, required
    assert reg.page.locator("#f-intended_level").input_value() == str(level)
    if shoot:
        reg.shots.take(reg.page, "workbench-notice")
    reg.fill({"facts": "经现场检查查明上述事实。", "reasons": f"依据 {article}", "occurred_on": on})
    reg.send(iid)
    reg.latest("NoticeIssued")


def waive_defence(reg: Actor, iid: str, on: str, *, shoot: bool = False) -> None:
    reg.action(iid, "defence")
    if shoot:
        reg.shots.take(reg.page, "workbench-defence")
    reg.page.check("input[name=answer][value=waiver]")
    reg.fill({"occurred_on": on})
    reg.send(iid)
    reg.latest("DefenceWaived")


def decide(
    reg: Actor,
    iid: str,
    on: str,
    *,
    level: int,
    rectification_days: int | None = None,
    shoot: bool = False,
) -> None:
    """Decide at the level the rules require (the form's default)."""
    reg.action(iid, "decision")
    reg.at(on)
    assert reg.page.locator("#f-level").input_value() == str(level)
    if shoot:
        reg.shots.take(reg.page, "workbench-decision")
    reg.fill({"reasons": "综合查明事实，依规作出决定。", "occurred_on": on})
    if rectification_days is not None:
        reg.fill({"rectification_days": str(rectification_days)})
    reg.send(iid)
    reg.latest("CaseDecided")


def refused_below_requirement(reg: Actor, iid: str, on: str, *, shoot: bool = False) -> None:
    """A lower level without a reason is refused in place, beside the reason's field."""
    reg.action(iid, "decision")
    reg.at(on)
    here = reg.page.url
    reg.page.select_option("#f-level", "0")
    reg.fill({"reasons": "情节轻微", "occurred_on": on})
    reg.page.click("#step-form [data-testid=submit]")
    refusal = reg.page.locator("[data-field=below_reason] [data-testid=refusal]")
    refusal.wait_for()
    assert reg.page.url == here, "the refused form is swapped in place"
    assert "低于要求的理由" in refusal.inner_text()
    if shoot:
        reg.shots._save(reg.page, "workbench-decision-refused-zh.png")
        reg.page.click("[data-testid=lang-toggle]")
        reg.page.wait_for_selector("#step-form")
        reg.page.select_option("#f-level", "0")
        reg.fill({"reasons": "minor", "occurred_on": on})
        reg.page.click("#step-form [data-testid=submit]")
        reg.page.locator("[data-field=below_reason] [data-testid=refusal]").wait_for()
        reg.shots._save(reg.page, "workbench-decision-refused-en.png")
        reg.page.goto(_with_lang(here, "zh"))


def serve(reg: Actor, iid: str, on: str, *, shoot: bool = False) -> str:
    """Serve the decided case; returns the decision's id."""
    reg.action(iid, "service")
    decision = reg.page.locator("[data-testid=decision] h2 .mono").first.inner_text()
    if shoot:
        reg.shots.take(reg.page, "workbench-service")
    reg.fill({"occurred_on": on})
    reg.send(iid)
    reg.timeline_has("DecisionServed")
    return decision


def hold_interview(reg: Actor, iid: str, on: str, *, shoot: bool = False) -> None:
    reg.action(iid, "interview")
    if shoot:
        reg.shots.take(reg.page, "workbench-interview")
    reg.fill({"attendees": "法定代表人\n主要负责人", "pledge": "规范档案管理", "occurred_on": on})
    reg.send(iid)
    reg.latest("InterviewHeld")
