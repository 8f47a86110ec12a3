"""Casework for the read-model tests, driven through the application's commands.

The order is due process's: record_finding → open_case → issue_notice → submit_defence
(or waive, or let the period run out) → decide_case → serve_decision → effects
(hold_interview, submit_rectification_report, accept_rectification) → file_appeal →
decide_appeal.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.application import Context, OversightApplication
from domain.commands.findings import BatchReport
from domain.institution import Institution
from domain.rulebook import Catalogue
from tests.projections.filings import ADMIN, file_approved

#: The application's "today" while the cases run: every business date below is before it.
LATER = "2026-06-01"


def day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class Casework:
    """One institution's cases, step by step."""

    def __init__(self, app: OversightApplication, iid: UUID, ctx: Context = ADMIN) -> None:
        self.app = app
        self.iid = iid
        self.ctx = ctx

    @classmethod
    def filed(cls, app: OversightApplication, n: int, **kwargs: Any) -> Casework:
        """An approved filing (on 2024-03-01) of institution ``n``."""
        return cls(app, file_approved(app, n, **kwargs))

    def institution(self) -> Institution:
        return self.app.records.institution(ADMIN.principal, self.iid)

    def finding(
        self, rule_id: str, on: str | date, severity: str = "minor", source: str = "inspection"
    ) -> str:
        result = self.app.findings.record_finding(
            self.ctx,
            self.iid,
            rule_id=rule_id,
            severity=severity,
            occurred_on=day(on),
            source=source,
            reference=f"visit {on}",
            facts=f"{rule_id} observed on {on}",
            evidence=[],
        )
        return str(result["finding_id"])

    def dismiss(self, finding_id: str, on: str | date) -> None:
        self.app.findings.dismiss_finding(self.ctx, self.iid, finding_id, day(on), "重复记录")

    def open_case(self, finding_ids: list[str], on: str | date) -> str:
        return str(self.app.cases.open_case(self.ctx, self.iid, day(on), finding_ids)["case_id"])

    def notice(self, case_id: str, on: str | date, defence_days: int = 10) -> None:
        self.app.cases.issue_notice(
            self.ctx,
            self.iid,
            case_id,
            day(on),
            facts="查明的事实",
            reasons="理由",
            defence_days=defence_days,
        )

    def defend(self, case_id: str, on: str | date) -> None:
        self.app.cases.submit_defence(self.ctx, self.iid, case_id, day(on), "陈述与申辩", [])

    def decide(
        self,
        case_id: str,
        on: str | date,
        *,
        level: int | None = None,
        below_reason: str = "",
        rectification_days: int | None = 30,
    ) -> str:
        result = self.app.cases.decide_case(
            self.ctx,
            self.iid,
            case_id,
            day(on),
            reasons="综合陈述申辩意见作出决定",
            level=level,
            below_reason=below_reason,
            rectification_days=rectification_days,
        )
        return str(result["decision_id"])

    def serve(self, case_id: str, on: str | date) -> None:
        self.app.cases.serve_decision(self.ctx, self.iid, case_id, day(on), [])

    def decided(
        self,
        finding_ids: list[str],
        on: str | date,
        *,
        decide_on: str | date,
        defend_on: str | date | None = None,
        level: int | None = None,
        below_reason: str = "",
        rectification_days: int | None = 30,
    ) -> str:
        """A case opened and noticed on ``on``, defended (on ``defend_on``, default ``on``)
        and decided, not yet served: the decision (``case_id`` names the case)."""
        case_id = self.open_case(finding_ids, on)
        self.notice(case_id, on)
        self.defend(case_id, defend_on or on)
        decision_id = self.decide(
            case_id,
            decide_on,
            level=level,
            below_reason=below_reason,
            rectification_days=rectification_days,
        )
        self.case_id = case_id
        return decision_id

    def case(
        self,
        finding_ids: list[str],
        on: str | date,
        *,
        decide_on: str | date,
        serve_on: str | date | None = None,
        level: int | None = None,
        below_reason: str = "",
        rectification_days: int | None = 30,
    ) -> str:
        """A whole case: opened, noticed and defended on ``on``, decided, served."""
        decision_id = self.decided(
            finding_ids,
            on,
            decide_on=decide_on,
            level=level,
            below_reason=below_reason,
            rectification_days=rectification_days,
        )
        self.serve(self.case_id, serve_on or decide_on)
        return decision_id

    def interviewed(self, rule_id: str) -> str:
        """A first breach of ``rule_id`` (conduct on 2024-04-01), decided on 2024-04-25 with
        an interview, held on 2024-05-06: the decision."""
        decision_id = self.case(
            [self.finding(rule_id, "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
        )
        self.interview(decision_id, "2024-05-06")
        return decision_id

    def interview(self, decision_id: str, on: str | date) -> None:
        self.app.cases.hold_interview(
            self.ctx, self.iid, decision_id, day(on), ["主要负责人"], "规范操作"
        )

    def report(self, decision_id: str, on: str | date) -> None:
        self.app.cases.submit_rectification_report(
            self.ctx, self.iid, decision_id, day(on), "整改报告"
        )

    def accept(self, decision_id: str, on: str | date) -> None:
        self.app.cases.accept_rectification(self.ctx, self.iid, decision_id, day(on), "验收合格")

    def rectify(self, decision_id: str, report_on: str | date, accept_on: str | date) -> None:
        self.report(decision_id, report_on)
        self.accept(decision_id, accept_on)

    def file_appeal(self, decision_id: str, on: str | date) -> str:
        result = self.app.cases.file_appeal(
            self.ctx, self.iid, decision_id, day(on), "reconsideration", "事实不清"
        )
        return str(result["appeal_id"])

    def decide_appeal(
        self, appeal_id: str, on: str | date, outcome: str, new_level: int | None = None
    ) -> None:
        self.app.cases.decide_appeal(
            self.ctx,
            self.iid,
            appeal_id,
            day(on),
            outcome=outcome,
            reasons="复议决定",
            new_level=new_level,
        )

    def appeal(
        self, decision_id: str, on: str | date, outcome: str, new_level: int | None = None
    ) -> str:
        """An appeal filed and decided on ``on``."""
        appeal_id = self.file_appeal(decision_id, on)
        self.decide_appeal(appeal_id, on, outcome, new_level)
        return appeal_id

    def assign(self, kind: str, item: str, officer: str, on: str | date, reason: str = "") -> None:
        self.app.officers.assign_officer(
            self.ctx,
            self.iid,
            day(on),
            item_kind=kind,
            item_id=item,
            officer=officer,
            reason=reason,
        )

    def complaint(
        self,
        on: str | date,
        substantiated: bool | None = None,
        verified_on: str | date | None = None,
    ) -> str:
        """A complaint received on ``on``; verified (on ``verified_on`` or ``on``) unless
        ``substantiated`` is None."""
        result = self.app.findings.receive_complaint(
            self.ctx, self.iid, day(on), "12333热线", "投诉摘要", f"TS-{on}"
        )
        complaint_id = str(result["complaint_id"])
        if substantiated is not None:
            self.app.findings.verify_complaint(
                self.ctx,
                self.iid,
                complaint_id,
                day(verified_on or on),
                substantiated,
                "经核查",
            )
        return complaint_id


def interview_then_rectification(app: OversightApplication) -> tuple[Casework, str, str]:
    """成都甲中心 (chengdu, 锦江区): an interview for a first breach, then a rectification,
    accepted, for a second one. The institution, the interview and the rectification."""
    chengdu = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
    interview = chengdu.interviewed("chengdu-2024/30.11")
    again = chengdu.finding("chengdu-2024/30.4", "2024-06-01")
    rectification = chengdu.case([again], "2024-06-10", decide_on="2024-06-25")
    chengdu.rectify(rectification, "2024-07-10", "2024-07-20")
    return chengdu, interview, rectification


def busy_year(app: OversightApplication) -> list[Casework]:
    """Casework of every kind at four institutions (the clock must read ``LATER``)."""
    chengdu, _, _ = interview_then_rectification(app)
    chengdu.dismiss(chengdu.finding("chengdu-2024/30.1", "2024-07-01"), "2024-07-02")
    chengdu.complaint("2024-04-03", substantiated=True, verified_on="2024-04-10")
    chengdu.complaint("2024-08-03")
    app.filing.change_details(ADMIN, chengdu.iid, day("2024-08-05"), {"district": "武侯区"})
    opened = chengdu.open_case([chengdu.finding("chengdu-2024/30.9", "2024-08-06")], "2024-08-10")
    chengdu.assign("file", "", "wang.fang", "2024-08-10")
    chengdu.assign("case", opened, "li.wei", "2024-08-10")
    chengdu.assign("case", opened, "zhao.min", "2024-08-20", reason="李伟调岗")

    hunan = Casework.filed(app, 2, jurisdiction="hunan", name="湖南甲中心")
    overdue = hunan.case(
        [hunan.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    hunan.report(overdue, "2024-05-01")
    app.cases.advance_casework(hunan.iid, day("2024-06-01"), "deadlines")
    below = hunan.case(
        [hunan.finding("hunan-2023/25.1", "2024-06-02")],
        "2024-06-10",
        decide_on="2024-06-25",
        level=0,
        below_reason="情节轻微",
    )
    hunan.file_appeal(below, "2024-07-01")
    hunan.complaint("2024-06-03", substantiated=False)

    yuelu = Casework.filed(app, 3, jurisdiction="hunan", district="岳麓区", name="湖南乙中心")
    varied = yuelu.case(
        [yuelu.finding("hunan-2023/26.7", "2024-05-01")], "2024-05-05", decide_on="2024-05-20"
    )
    yuelu.appeal(varied, "2024-06-01", "varied", new_level=1)
    revocation = yuelu.case(
        [yuelu.finding("hunan-2023/27.2", "2024-07-01")], "2024-07-05", decide_on="2024-07-20"
    )
    yuelu.appeal(revocation, "2024-09-01", "annulled")

    huangshi = Casework.filed(app, 4, jurisdiction="huangshi", name="黄石甲中心")
    warning = huangshi.case(
        [huangshi.finding("huangshi-2022/15.5", "2024-06-15")],
        "2024-06-20",
        decide_on="2024-07-01",
    )
    huangshi.appeal(warning, "2024-07-05", "upheld")
    huangshi.rectify(warning, "2024-07-15", "2024-07-25")
    ban = huangshi.case(
        [huangshi.finding("huangshi-2022/14.3", "2024-09-01")],
        "2024-09-10",
        decide_on="2024-09-25",
    )
    assert ban
    huangshi.complaint("2024-04-01", substantiated=True)
    huangshi.complaint("2024-04-15", substantiated=True)
    flagged_batch(app, hunan.iid)
    return [chengdu, hunan, yuelu, huangshi]


def flagged_batch(app: OversightApplication, iid: UUID) -> None:
    """A batch at an unfiled site, reported while the rulebook in force names no item for
    that check: it is recorded and flagged for the regulator (``BatchFlagged``). The shipped
    rulebooks name an item for every check, so the ledger reads a catalogue without one."""
    ledger = app.ledger
    shipped = ledger.catalogue
    books = []
    for book in shipped:
        checks = book.evaluation_checks.model_copy(update={"unfiled_site": None})
        books.append(book.model_copy(update={"evaluation_checks": checks}))
    ledger.catalogue = Catalogue(books)
    try:
        report = BatchReport(
            "B-FLAGGED", "4-07-05-04", 4, day("2024-05-10"), "未备案考点", None, 20, 0, 18, ""
        )
        app.findings.report_evaluation(ADMIN, iid, report)
    finally:
        ledger.catalogue = shipped
