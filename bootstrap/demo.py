"""Demo data for ``make run``: institutions in three jurisdictions with believable histories.

Loaded once, into an empty store, through the same application commands a regulator uses;
the business dates lie in the past, the recording instants are the real clock's.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from config.settings import Settings
from domain.access import Principal
from domain.application import Context, OversightApplication
from domain.commands.findings import BatchReport
from domain.creditcode import make_credit_code
from domain.events import ScopeLine
from domain.institution import FilingApplication
from projections.institution_file import DEMO_REQUEST_ID

DEMO_ADMIN = "demo.admin"


@dataclass
class DemoInstitution:
    prefix: str  # the first 17 characters of the credit code
    name: str
    kind: str
    jurisdiction: str
    district: str
    address: str
    scope: list[ScopeLine]
    sites: list[str]
    submitted: str
    #: (command, date, extra) steps after submission, in business-date order.
    steps: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def _scope(*lines: tuple[str, list[int]]) -> list[ScopeLine]:
    return [{"occupation": occ, "levels": levels} for occ, levels in lines]


DEMO: list[DemoInstitution] = [
    DemoInstitution(
        "91510104MA61X2Y3K",
        "成都天府职业技能评价中心",
        "social_org",
        "chengdu",
        "锦江区",
        "成都市锦江区东大街100号",
        _scope(("4-03-02-01", [3, 4, 5]), ("4-10-01-03", [4, 5])),
        ["锦江区东大街考点"],
        "2024-03-01",
        [
            ("approve", "2024-03-15", {}),
            ("details", "2024-09-02", {"address": "成都市锦江区东大街118号"}),
            (
                "scope",
                "2025-04-10",
                {"scope": _scope(("4-03-02-01", [2, 3, 4, 5]), ("4-10-01-03", [4, 5]))},
            ),
            ("approve_scope", "2025-05-06", {}),
        ],
    ),
    DemoInstitution(
        "91510107MA6CQ8R2B",
        "成都蓉城技工培训评价有限公司",
        "social_org",
        "chengdu",
        "武侯区",
        "成都市武侯区科华北路65号",
        _scope(("6-31-01-03", [3, 4, 5])),
        ["武侯区科华路实训基地"],
        "2024-02-06",
        [("approve", "2024-02-20", {}), ("renew", "2026-11-21", {})],
    ),
    DemoInstitution(
        "91510113MA62N4T7D",
        "成都青白江重型机械集团有限公司",
        "employer",
        "chengdu",
        "青白江区",
        "成都市青白江区大同路8号",
        _scope(("6-18-01-01", [2, 3, 4]), ("6-20-01-01", [3, 4, 5])),
        ["集团技能培训中心"],
        "2024-05-06",
        [("approve", "2024-05-20", {})],
    ),
    DemoInstitution(
        "52430104MJJ123456",
        "湖南湘江职业技能鉴定所",
        "social_org",
        "hunan",
        "长沙市岳麓区",
        "长沙市岳麓区麓山南路12号",
        _scope(("4-03-02-01", [3, 4, 5]), ("4-14-01-02", [4, 5])),
        ["岳麓区麓山考点", "望城区实训考点"],
        "2023-08-25",
        [
            ("approve", "2023-09-10", {}),
            ("renew", "2026-07-15", {}),
            ("approve_renewal", "2026-08-20", {}),
        ],
    ),
    DemoInstitution(
        "91430204MA4L7K2P3",
        "株洲时代轨道装备有限公司",
        "employer",
        "hunan",
        "株洲市石峰区",
        "株洲市石峰区田心大道1号",
        _scope(
            ("6-29-03-01", [1, 2, 3, 4]),
        ),
        ["公司技能鉴定站"],
        "2023-09-20",
        [("approve", "2023-10-08", {})],
    ),
    DemoInstitution(
        "52430111MJK654321",
        "长沙星城职业培训学校",
        "social_org",
        "hunan",
        "长沙市雨花区",
        "长沙市雨花区劳动东路200号",
        _scope(
            ("4-10-01-03", [5]),
        ),
        ["雨花区考点"],
        "2024-01-08",
        [("reject", "2024-01-30", {"reason": "考场视频监控设备不满足评价要求，材料不全"})],
    ),
    DemoInstitution(
        "12420200MB1234567",
        "黄石市高级技工学校",
        "technical_school",
        "huangshi",
        "下陆区",
        "黄石市下陆区团城山路6号",
        _scope(("6-31-01-03", [2, 3, 4, 5]), ("4-12-01-01", [3, 4])),
        ["下陆校区考点"],
        "2022-02-15",
        [
            ("approve", "2022-03-01", {}),
            ("renew", "2024-12-20", {}),
            ("approve_renewal", "2025-01-15", {}),
        ],
    ),
    DemoInstitution(
        "52420202MJL246810",
        "黄石港区鑫源职业培训学校",
        "social_org",
        "huangshi",
        "黄石港区",
        "黄石市黄石港区湖滨大道30号",
        _scope(
            ("4-10-01-03", [4, 5]),
        ),
        ["湖滨考点"],
        "2022-05-16",
        [("approve", "2022-06-01", {}), ("advance", "2025-08-15", {})],
    ),
    DemoInstitution(
        "52420203MJM135790",
        "黄石西塞山区技能评价服务中心",
        "social_org",
        "huangshi",
        "西塞山区",
        "黄石市西塞山区八泉街道15号",
        _scope(
            ("4-03-02-01", [4, 5]),
        ),
        ["八泉考点"],
        "2022-07-04",
        [
            ("approve", "2022-07-20", {}),
            ("cancel", "2024-06-30", {"reason": "机构调整，自愿终止评价工作"}),
        ],
    ),
]


def load_demo(app: OversightApplication) -> list[UUID]:
    """Run every demo history through the application's commands."""
    ctx = Context(principal=Principal(DEMO_ADMIN, "admin"), request_id=DEMO_REQUEST_ID)
    ids: list[UUID] = []
    for d in DEMO:
        application = FilingApplication(
            credit_code=make_credit_code(d.prefix),
            name=d.name,
            kind=d.kind,
            jurisdiction=d.jurisdiction,
            district=d.district,
            address=d.address,
            scope=d.scope,
            test_sites=d.sites,
            legal_representative="法定代表人（演示）",
            contact={"name": "评价工作联系人（演示）", "phone": "400-000-0000"},
        )
        iid = app.filing.submit_filing(ctx, application, date.fromisoformat(d.submitted))
        for command, day, extra in d.steps:
            on = date.fromisoformat(day)
            if command == "approve":
                app.filing.approve_filing(ctx, iid, on)
            elif command == "reject":
                app.filing.reject_filing(ctx, iid, on, extra["reason"])
            elif command == "details":
                app.filing.change_details(ctx, iid, on, extra)
            elif command == "scope":
                app.filing.request_scope_change(ctx, iid, on, extra["scope"], d.sites, "新增等级")
            elif command == "approve_scope":
                pending = app.records.institution(ctx.principal, iid).pending_scope_change
                assert pending is not None
                app.filing.approve_scope_change(ctx, iid, on, pending["change_id"])
            elif command == "renew":
                app.filing.request_renewal(ctx, iid, on)
            elif command == "approve_renewal":
                app.filing.approve_renewal(ctx, iid, on)
            elif command == "cancel":
                app.filing.cancel_filing(ctx, iid, on, extra["reason"])
            elif command == "advance":
                app.filing.advance_filing(iid, on, "demo-load")
            else:  # pragma: no cover - a typo in the table above
                raise ValueError(command)
        ids.append(iid)
    load_casework(app, ctx, dict(zip([d.name for d in DEMO], ids, strict=True)))
    return ids


def load_casework(app: OversightApplication, ctx: Context, ids: dict[str, UUID]) -> None:
    """Supervision histories: findings, due process, effects, batches and complaints."""
    steps = CaseworkSteps(app, ctx)
    _hunan_casework(app, ctx, ids, steps)
    _chengdu_casework(app, ctx, ids)
    _huangshi_casework(app, ctx, ids, steps)


def day(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class CaseworkSteps:
    """The steps the demo histories repeat: a finding, and a case from notice to service."""

    app: OversightApplication
    ctx: Context

    def full_case(
        self, iid: UUID, finding_ids: list[str], on: str, decided: str, **decision: Any
    ) -> str:
        app, ctx = self.app, self.ctx
        case_id = str(app.cases.open_case(ctx, iid, day(on), finding_ids)["case_id"])
        app.cases.issue_notice(
            ctx,
            iid,
            case_id,
            day(on),
            facts="督导查明的事实（演示）",
            reasons="依据规则要求（演示）",
        )
        app.cases.submit_defence(ctx, iid, case_id, day(on), "机构陈述与申辩（演示）", [])
        decision_id = str(
            app.cases.decide_case(
                ctx, iid, case_id, day(decided), reasons="综合陈述申辩意见（演示）", **decision
            )["decision_id"]
        )
        app.cases.serve_decision(ctx, iid, case_id, day(decided), [])
        return decision_id

    def finding(
        self, iid: UUID, rule_id: str, on: str, facts: str, source: str = "inspection"
    ) -> str:
        app, ctx = self.app, self.ctx
        return str(
            app.findings.record_finding(
                ctx,
                iid,
                rule_id=rule_id,
                severity="minor",
                occurred_on=day(on),
                source=source,
                reference=f"督导记录 {on}",
                facts=facts,
                evidence=[],
            )["finding_id"]
        )


def _hunan_casework(
    app: OversightApplication, ctx: Context, ids: dict[str, UUID], steps: CaseworkSteps
) -> None:
    """Hunan: an interview, then the same article again → the engine requires 26.1."""
    xiangjiang = ids["湖南湘江职业技能鉴定所"]
    first = steps.finding(xiangjiang, "hunan-2023/25.9", "2025-03-10", "评价档案缺少考场记录表")
    interview = steps.full_case(xiangjiang, [first], "2025-03-20", "2025-04-08")
    app.cases.hold_interview(
        ctx, xiangjiang, interview, day("2025-04-20"), ["所长"], "规范档案管理"
    )
    steps.finding(
        xiangjiang, "hunan-2023/25.3", "2025-10-12", "理论考场未按一人一桌设置，造成不良影响"
    )


def _chengdu_casework(app: OversightApplication, ctx: Context, ids: dict[str, UUID]) -> None:
    """Chengdu: a batch at an unfiled site raises a system finding; a substantiated complaint."""
    rongcheng = ids["成都蓉城技工培训评价有限公司"]
    app.findings.report_evaluation(
        ctx,
        rongcheng,
        BatchReport(
            batch_id="RC-2025-09",
            occupation="6-31-01-03",
            level=4,
            evaluated_on=day("2025-09-06"),
            site="双流区临时考点",
            territory=None,
            candidates=42,
            unqualified_candidates=0,
            passed=35,
            paper_set_id="RC-P-07",
        ),
    )
    tianfu = ids["成都天府职业技能评价中心"]
    complaint = str(
        app.findings.receive_complaint(
            ctx, tianfu, day("2025-06-03"), "phone", "考生反映考场秩序混乱", "12333-0603"
        )["complaint_id"]
    )
    app.findings.verify_complaint(
        ctx,
        tianfu,
        complaint,
        day("2025-06-20"),
        True,
        "经核查属实：未按规定设置考场和配备工作人员",
        "chengdu-2024/30.4",
        day("2025-05-28"),
    )


def _huangshi_casework(
    app: OversightApplication, ctx: Context, ids: dict[str, UUID], steps: CaseworkSteps
) -> None:
    """Huangshi: a warning, rectified, then a batch over the 3 % line → 16.6, market ban."""
    school = ids["黄石市高级技工学校"]
    report = steps.finding(school, "huangshi-2022/15.4", "2025-02-15", "未按时报送年度工作报告")
    warning = steps.full_case(school, [report], "2025-03-01", "2025-03-20", rectification_days=30)
    app.cases.submit_rectification_report(ctx, school, warning, day("2025-04-10"), "已补报年度报告")
    app.cases.accept_rectification(ctx, school, warning, day("2025-04-18"), "整改合格")
    clean = app.findings.report_evaluation(
        ctx, school, _batch("HS-2025-11", "2025-11-08", 60, 1, "HS-P-03")
    )
    assert not clean["finding_ids"]  # 1 of 60 (1.67 %) is under the 3 % line
    flagged = app.findings.report_evaluation(
        ctx, school, _batch("HS-2026-03", "2026-03-14", 80, 3, "HS-P-04")
    )
    # 3 of 80 (3.75 %) reaches huangshi-2022/14.1; after an accepted warning that is 16.6.
    steps.full_case(school, list(flagged["finding_ids"]), "2026-03-25", "2026-04-15")


def _batch(batch_id: str, on: str, candidates: int, unqualified: int, papers: str) -> BatchReport:
    return BatchReport(
        batch_id=batch_id,
        occupation="6-31-01-03",
        level=3,
        evaluated_on=date.fromisoformat(on),
        site="下陆校区考点",
        territory=None,
        candidates=candidates,
        unqualified_candidates=unqualified,
        passed=candidates - unqualified - 4,
        paper_set_id=papers,
    )


def ensure_demo(app: OversightApplication, settings: Settings) -> str:
    """Load the demo once and return the demo admin token (issued on first start)."""
    token_file = settings.demo_token_file
    secret = token_file.read_text().strip() if token_file.exists() else ""
    if not secret or app.access.authenticate_or_none(secret) is None:
        secret = "sov_" + secrets.token_urlsafe(32)
        app.access.issue_token(secret, subject=DEMO_ADMIN, role="admin", note="demo admin")
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(secret + "\n")
        os.chmod(token_file, 0o600)
    if not app.records.has_institutions():
        load_demo(app)
    return secret
