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
from workers import deadlines


@dataclass
class LadderServer:
    url: str
    app: OversightApplication
    web: Any
    #: The server's injected clock: a ladder moves it to each step's day.
    clock: FakeClock = field(default_factory=lambda: FakeClock(DEMO_TODAY))

    def day(self, on: str) -> None:
        """The server's clock reads ``on`` from now: the day the next steps are taken."""
        self.clock.set(on)

    def overnight(self, on: str) -> dict[str, int]:
        """Nights pass until ``on``, and the deadline worker makes its pass (the one step of
        a ladder that no person takes in a browser)."""
        self.day(on)
        return deadlines.run_once(self.app)

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
    clock = FakeClock(DEMO_TODAY)
    app = build_application(settings, clock=clock)
    web = web_service(settings, app)
    with serving(web) as url:
        yield LadderServer(url, app, web, clock)


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
        self.page.press("#token", "Enter")
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


def record_appeal_outcome(
    reg: Actor, iid: str, outcome: str, on: str, *, shoot: bool = False
) -> str:
    """From the file, the appeal the institution filed: record its outcome; its id."""
    appeal_id = reg.action(iid, "appeal")
    if shoot:
        reg.shots.take(reg.page, "workbench-appeal")
    reg.page.check(f"input[name=outcome][value={outcome}]")
    reg.fill({"reasons": "经复议，原决定认定事实不清，予以撤销。", "occurred_on": on})
    reg.send(iid)
    reg.latest("AppealDecided")
    return appeal_id


def download_attachment(reg: Actor, iid: str, name: str) -> bytes:
    """On the file, download the file ``name`` the institution sent with a report."""
    reg.open_file(iid)
    link = reg.page.locator("[data-testid=file-attachments] a", has_text=name)
    with reg.page.expect_download() as download:
        link.click()
    return Path(download.value.path()).read_bytes()


# --- the institution's steps, in its portal --------------------------------------------


def portal_sign_in(inst: Actor, token: str, iid: str) -> None:
    """Sign in with the institution's token and land on its own portal."""
    inst.page.goto(inst.server.url + "/login?next=/portal")
    inst.page.fill("#token", token)
    inst.page.press("#token", "Enter")
    inst.page.wait_for_url(f"{inst.server.url}/portal/{iid}")


def portal_home(inst: Actor, iid: str) -> None:
    inst.page.goto(f"{inst.server.url}/portal/{iid}")


def portal_text(inst: Actor, testid: str) -> str:
    return str(inst.page.locator(f"[data-testid={testid}]").first.inner_text())


def portal_step(inst: Actor, iid: str, testid: str) -> None:
    """On the portal's home, follow the step ``testid``."""
    portal_home(inst, iid)
    inst.page.click(f"[data-testid={testid}]")
    inst.page.wait_for_selector("#step-form")


def portal_send(inst: Actor, iid: str) -> None:
    """Submit the step's form and land back on the portal's home."""
    inst.page.click("#step-form [data-testid=submit]")
    inst.page.wait_for_url(re.compile(rf"{re.escape(inst.server.url)}/portal/{iid}(#.*)?$"))


def file_in_portal(
    inst: Actor, iid: str, credit_code: str, name: str, on: str, *, shoot: bool = False
) -> None:
    """Before its record exists, the institution submits its filing."""
    portal_home(inst, iid)
    assert portal_text(inst, "unfiled"), "nothing filed yet"
    if shoot:
        inst.shots.take(inst.page, "portal-unfiled")
    portal_step(inst, iid, "portal-step-filing")
    if shoot:
        inst.shots.take(inst.page, "portal-filing")
    inst.page.select_option("#f-jurisdiction", "hunan")
    inst.page.select_option("#f-kind", "social_org")
    inst.fill(
        {
            "credit_code": credit_code,
            "name": name,
            "district": "长沙市岳麓区",
            "address": "长沙市岳麓区麓山路1号",
            "scope": "4-03-02-01 3,4,5",
            "test_sites": "麓山路考点",
            "legal_representative": "王某",
            "contact_name": "李某",
            "contact_phone": "0731-00000000",
            "occurred_on": on,
        }
    )
    portal_send(inst, iid)
    assert portal_text(inst, "portal-status") == "待审核"


def answer_notice(
    inst: Actor, iid: str, on: str, *, statement: str | None, shoot: bool = False
) -> str:
    """The notice waiting on the home: a defence with ``statement``, or a waiver; its case."""
    portal_home(inst, iid)
    link = inst.page.locator("[data-testid^='portal-answer-']").first
    case_id = str(link.get_attribute("data-testid")).removeprefix("portal-answer-")
    assert "deadline-defence" in inst.page.locator("[data-testid=deadlines]").inner_html()
    link.click()
    inst.page.wait_for_selector("#step-form")
    if shoot:
        inst.shots.take(inst.page, "portal-answer")
    if statement is None:
        inst.page.check("input[name=answer][value=waiver]")
    else:
        inst.page.check("input[name=answer][value=defence]")
        inst.fill({"statement": statement})
    inst.fill({"occurred_on": on})
    portal_send(inst, iid)
    assert inst.page.locator(f"[data-testid=notice-{case_id}]").count() == 0, "answered"
    return case_id


def report_batch(
    inst: Actor, iid: str, batch_id: str, evaluated_on: str, *, shoot: bool = False
) -> str:
    """Report an evaluation batch; what its checks raised, as the home shows it."""
    portal_step(inst, iid, "portal-step-batch")
    if shoot:
        inst.shots.take(inst.page, "portal-batch")
    inst.fill(
        {
            "batch_id": batch_id,
            "occupation": "4-03-02-01",
            "evaluated_on": evaluated_on,
            "site": "麓山路考点",
            "candidates": "24",
            "unqualified_candidates": "0",
            "passed": "20",
        }
    )
    inst.page.select_option("#f-level", "4")
    portal_send(inst, iid)
    assert inst.page.locator(f"[data-testid=batch-{batch_id}]").count() == 1, "kept"
    flags = inst.page.locator(f"[data-testid=batch-flags-{batch_id}]")
    return str(flags.inner_text()) if flags.count() else ""


def report_rectification(
    inst: Actor, iid: str, decision_id: str, on: str, files: list[Path], *, shoot: bool = False
) -> None:
    """The rectification report, with ``files`` attached."""
    portal_step(inst, iid, f"portal-report-{decision_id}")
    if shoot:
        inst.shots.take(inst.page, "portal-report")
    inst.fill({"report": "已补齐评价档案，完善考场设置，整改完成。", "occurred_on": on})
    inst.page.set_input_files("#f-attachments", [str(f) for f in files])
    portal_send(inst, iid)
    sent = inst.page.locator(f"[data-testid=decision-{decision_id}] [data-testid=attachments]")
    for f in files:
        assert f.name in sent.inner_text(), f.name


def appeal_in_portal(
    inst: Actor, iid: str, decision_id: str, on: str, *, shoot: bool = False
) -> None:
    """Apply for reconsideration of the decision."""
    portal_step(inst, iid, f"portal-appeal-{decision_id}")
    if shoot:
        inst.shots.take(inst.page, "portal-appeal")
    inst.page.check("input[name=kind][value=reconsideration]")
    inst.fill({"grounds": "逾期系因系统故障，申请复议撤销撤销备案决定。", "occurred_on": on})
    portal_send(inst, iid)
    assert "审理中" in portal_text(inst, "portal-appeals")
