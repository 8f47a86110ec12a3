"""Labels of the dashboard pages in Chinese (the default) and English.

Every label is a ``(zh, en)`` pair, so no label exists in one language only. A page picks
its language from ``?lang=zh|en`` (remembered in the ``lang`` cookie), else the cookie, else
Chinese. Codes the domain uses (statuses, event types, levels, actions, jurisdictions) have
their own tables; an unknown code shows as itself rather than failing the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from api.i18n_account import ACCOUNT_LABELS
from api.i18n_forms import FORM_FIELDS, FORM_LABELS
from api.i18n_impact import IMPACT_LABELS
from api.i18n_notices import NOTICE_FIELDS, NOTICE_LABELS
from api.i18n_portal import PORTAL_FIELDS, PORTAL_LABELS
from api.i18n_review import CHAIN_REASON, LATE, RATING_CHANGE, REVIEW_LABELS

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
LANG_COOKIE = "lang"
#: Business dates and recording instants are shown in the regulators' time zone.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

Pair = tuple[str, str]

LABELS: dict[str, Pair] = {
    **REVIEW_LABELS,
    **NOTICE_LABELS,
    # the frame
    "app.name": ("技能人才评价机构监管台账", "Skills-evaluation supervision ledger"),
    "app.short": ("监管台账", "Supervision ledger"),
    "nav.overview": ("概览", "Overview"),
    "nav.register": ("机构登记册", "Register"),
    "nav.worklist": ("待办事项", "Worklist"),
    "nav.sanctions": ("处理决定", "Sanctions"),
    "nav.public": ("公示信息", "Public disclosure"),
    "nav.language": ("English", "中文"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.login": ("登录", "Log in"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "who.scope": ("权限范围", "Scope"),
    "who.all": ("全部辖区", "all jurisdictions"),
    "who.own_record": ("本机构", "own record"),
    "footer.position": ("数据读取至事件", "Data as of event"),
    "footer.note": (
        "所有记录不可篡改；更正以新事件记录。",
        "Every record is immutable; corrections are recorded as new events.",
    ),
    "footer.echarts": ("图表：Apache ECharts（Apache-2.0）", "Charts: Apache ECharts (Apache-2.0)"),
    "common.csv": ("导出 CSV", "Export CSV"),
    "common.none": ("无", "none"),
    "common.empty": ("暂无记录", "Nothing to show"),
    "common.yes": ("是", "yes"),
    "common.no": ("否", "no"),
    "common.apply": ("筛选", "Apply"),
    "common.reset": ("清除", "Reset"),
    "common.all": ("全部", "All"),
    "common.next": ("下一页", "Next page"),
    "common.first": ("第一页", "First page"),
    "common.count": ("数量", "Count"),
    "common.total": ("合计", "Total"),
    "common.open": ("查看", "Open"),
    "common.table": ("数据表", "Data table"),
    "common.indefinite": ("无限期", "indefinite"),
    "common.days_late": ("晚 {n} 天录入", "recorded {n} day later|recorded {n} days later"),
    "common.as_of": ("业务日期", "As of"),
    "common.show": ("查看", "Show"),
    "common.details": ("全部字段", "All fields"),
    "common.rows": ("{n} 条", "{n} row|{n} rows"),
    # login
    "login.title": ("登录", "Log in"),
    "login.intro": (
        "或粘贴管理员签发的访问令牌。令牌仅保存在本浏览器的安全 Cookie 中。",
        "Or paste an access token an administrator issued. It is kept only in a secure"
        " cookie in this browser.",
    ),
    "login.token": ("访问令牌", "Access token"),
    "login.submit": ("登录", "Log in"),
    "login.invalid": ("令牌无效或已吊销。", "The token is unknown or revoked."),
    "login.missing": ("请输入令牌。", "Enter a token."),
    "login.public_hint": ("无需登录即可查看", "Without logging in you can see the"),
    "login.logged_out": ("已退出登录。", "You have logged out."),
    # overview
    "overview.title": ("监管概览", "Supervision overview"),
    "overview.institutions": ("在册机构", "Institutions in the register"),
    "overview.active": ("备案有效", "Filing in force"),
    "overview.overdue": ("已逾期事项", "Overdue items"),
    "overview.worklist": ("待办事项", "Open work items"),
    "chart.status": ("备案状态分布", "Filings by status"),
    "chart.by_month": ("每月处理决定（按等级）", "Sanctions per month, by level"),
    "chart.by_article": ("处理决定依据条款（按等级）", "Sanctions by article, by level"),
    "chart.by_district": ("各区县处理决定（按等级）", "Sanctions by district, by level"),
    "chart.complaints": ("投诉举报核查情况", "Complaints and their verification"),
    "chart.no_data": ("暂无处理决定", "No sanctions recorded"),
    "chart.month": ("月份", "Month"),
    "chart.article": ("条款", "Article"),
    "chart.district": ("区县", "District"),
    "chart.level": ("等级", "Level"),
    # register
    "register.title": ("评价机构登记册", "Register of evaluation institutions"),
    "register.filters": ("筛选条件", "Filters"),
    "register.lagging": (
        "登记册由事件投影生成，可能比最新记录晚片刻。",
        "The register is a projection of the events and may lag the record by a moment.",
    ),
    "field.name": ("机构名称", "Name"),
    "field.credit_code": ("统一社会信用代码", "Credit code"),
    "field.kind": ("机构类型", "Kind"),
    "field.jurisdiction": ("辖区", "Jurisdiction"),
    "field.district": ("区县", "District"),
    "field.status": ("备案状态", "Status"),
    "field.occupation": ("职业（工种）编码", "Occupation code"),
    "field.occupations": ("评价范围", "Scope"),
    "field.levels": ("等级", "Levels"),
    "field.test_sites": ("考核场所", "Test sites"),
    "field.receipt_number": ("备案回执编号", "Receipt number"),
    "field.valid_from": ("有效期起", "Valid from"),
    "field.valid_until": ("有效期至", "Valid until"),
    "field.suspended": ("暂停评价", "Suspended"),
    "field.ban_until": ("禁止备案至", "Banned until"),
    "field.address": ("地址", "Address"),
    "field.legal_representative": ("法定代表人", "Legal representative"),
    "field.submitted_on": ("申请日期", "Submitted on"),
    "field.renewal_requested_on": ("延续申请日期", "Renewal requested on"),
    "field.pending_scope_change": ("待审批范围变更", "Scope change pending"),
    "field.version": ("版本", "Version"),
    "field.id": ("记录编号", "Record id"),
    # the institution's file
    "file.title": ("机构档案", "Institution file"),
    "file.basics": ("备案信息", "Filing"),
    "file.requirement": ("规则要求的处理", "What the rules require"),
    "file.requirement_none": (
        "截至该日期没有待处理的违规事实。",
        "No undecided finding up to this date.",
    ),
    "file.requirement_level": ("应当给予", "Required"),
    "file.required_article": ("适用条款", "Article applied"),
    "file.actions": ("处理措施", "Actions"),
    "file.rulebook": ("规则版本", "Rulebook"),
    "file.grounds": ("依据", "Grounds"),
    "file.ground_events": ("触发事件", "Events behind it"),
    "file.findings": ("待处理违规事实", "Undecided findings"),
    "file.finding": ("违规事实", "Finding"),
    "file.due": ("到期应记录的系统发现", "System findings now due"),
    "file.ungoverned": (
        "无规则适用的违规事实（规则施行前的行为）",
        "Findings no rulebook governs (conduct before the first)",
    ),
    "file.cases": ("未结案件", "Open cases"),
    "file.cases_none": ("没有未结案件。", "No open case."),
    "file.decisions": ("处理决定", "Decisions"),
    "file.timeline": ("事件时间线", "Timeline"),
    "file.timeline_note": (
        "每条事件有两个时间：业务日期（事实发生或作出决定之日）与系统录入时间。",
        "Every event has two clocks: the business date (when it happened or was decided)"
        " and the instant the ledger recorded it.",
    ),
    "file.explain": ("决定复核", "Explain"),
    "case.id": ("案件", "Case"),
    "case.step": ("程序阶段", "Step"),
    "case.opened_on": ("立案日期", "Opened on"),
    "case.defence_deadline": ("陈述申辩截止", "Defence deadline"),
    "case.findings": ("涉及违规事实", "Findings"),
    "case.intended_level": ("拟处理等级", "Intended level"),
    "case.decision": ("决定编号", "Decision"),
    "decision.id": ("决定编号", "Decision"),
    "decision.level": ("处理等级", "Level"),
    "decision.decided_on": ("决定日期", "Decided on"),
    "decision.served_on": ("送达日期", "Served on"),
    "decision.articles": ("依据条款", "Articles"),
    "decision.rectification": ("整改", "Rectification"),
    "decision.below": ("低于规则要求", "Below the requirement"),
    "decision.rescinded": ("已撤销", "Rescinded"),
    "event.version": ("序号", "No."),
    "event.type": ("事件", "Event"),
    "event.occurred_on": ("业务日期", "Business date"),
    "event.recorded_at": ("录入时间", "Recorded at"),
    "event.actor": ("操作人", "Actor"),
    "event.role": ("角色", "Role"),
    "event.request_id": ("请求编号", "Request id"),
    "event.summary": ("内容", "Details"),
    # sanctions
    "sanctions.title": ("处理决定台账", "Sanctions ledger"),
    "sanctions.month_from": ("起始月份", "From month"),
    "sanctions.month_to": ("截止月份", "To month"),
    "sanctions.status": ("决定状态", "Decision status"),
    # worklist
    "worklist.title": ("待办事项与期限", "Worklist and deadlines"),
    "worklist.intro": (
        "按到期日排序；已逾期的排在最前。",
        "Ordered by due date; overdue items first.",
    ),
    "worklist.kind": ("事项", "Item"),
    "worklist.due_on": ("到期日", "Due on"),
    "worklist.since": ("起始日期", "Since"),
    "worklist.days": ("剩余天数", "Days left"),
    "worklist.overdue": ("已逾期 {n} 天", "{n} day overdue|{n} days overdue"),
    "worklist.reference": ("关联", "Reference"),
    "worklist.institution": ("机构", "Institution"),
    "worklist.cases": ("案件程序", "Cases in due process"),
    "worklist.rectifications": ("整改", "Rectifications"),
    "worklist.findings": ("待立案的违规事实", "Findings not yet in a case"),
    "worklist.below": ("低于规则要求的决定", "Decisions below the requirement"),
    "worklist.appeals": ("复议和诉讼", "Appeals pending"),
    "worklist.filings": ("待审核的备案申请", "Filings awaiting review"),
    "worklist.flags": (
        "评价批次检查提示（规则无对应条款）",
        "Batch checks flagged (no item in the rules)",
    ),
    "worklist.batch": ("评价批次", "Batch"),
    "worklist.check": ("检查", "Check"),
    "worklist.flag_detail": ("检查结果", "What the check found"),
    "worklist.flag_reason": ("未提出违规事实的原因", "Why no finding was raised"),
    "worklist.interview_due": ("已送达，待约谈", "served, interview to hold"),
    "worklist.ordered_on": ("责令日期", "Ordered on"),
    "worklist.state": ("状态", "State"),
    "worklist.reports": ("整改报告", "Reports"),
    "worklist.required": ("规则要求", "Required"),
    "worklist.appeal": ("复议或诉讼", "Appeal"),
    "worklist.filed_on": ("提出日期", "Filed on"),
    "worklist.truncated": (
        "以下类别只显示前 {n} 条：",
        "Only the first {n} items are shown of:",
    ),
    # public disclosure
    "public.title": ("评价机构监管信息公示", "Public disclosure"),
    "public.intro": (
        "依规应当公布的处理措施：正在生效的撤销备案、限期整改通知和禁止备案。",
        "Measures that must be made public: revocations, rectification notices and bans"
        " currently in force.",
    ),
    "public.on": ("公示日期", "Shown for"),
    "public.ratings": ("信用等级", "Credit ratings"),
    "public.grade": ("等级", "Grade"),
    "public.basis": ("依据规则", "Rulebook"),
    "public.rating_cancelled": ("已取消等级", "rating cancelled"),
    "public.measure": ("处理措施", "Measure"),
    "public.since": ("生效日期", "In force since"),
    "public.until": ("截止日期", "Until"),
    "public.article": ("依据条款", "Article"),
    "public.decision": ("决定编号", "Decision"),
    "public.history": ("历次公示", "Publication history"),
    "public.published_on": ("公布日期", "Published on"),
    "public.withdrawn_on": ("撤下日期", "Withdrawn on"),
    "public.reason": ("原因", "Reason"),
    "public.ended": ("已结束的公示", "Publications that have ended"),
    "public.none": ("当前没有需要公示的处理措施。", "No measure is in force."),
    "public.first_rows": (
        "此处列出前 {n} 条，完整列表见 CSV。",
        "The first {n} are listed here; the CSV holds every one.",
    ),
    "public.login": ("监管人员登录", "Regulator login"),
    # complaints
    "complaints.title": ("投诉举报统计", "Complaint statistics"),
    "complaints.received": ("收到", "Received"),
    "complaints.substantiated": ("查实", "Substantiated"),
    "complaints.unfounded": ("不属实", "Unfounded"),
    "complaints.open": ("核查中", "Being verified"),
    "complaints.channel": ("渠道", "Channel"),
    # errors
    "error.title": ("无法显示此页面", "This page cannot be shown"),
    "error.back": ("返回概览", "Back to the overview"),
    "error.403": ("此记录不在您的权限范围内。", "This record is outside your scope."),
    "error.404": ("没有找到该记录。", "No such record."),
    "error.422": ("请求参数有误。", "The request is not valid."),
    "error.409": ("记录已被更改。", "The record has changed."),
    **FORM_LABELS,
    **PORTAL_LABELS,
    **ACCOUNT_LABELS,
    **IMPACT_LABELS,
}

STATUS: dict[str, Pair] = {
    "submitted": ("待审核", "submitted"),
    "active": ("备案有效", "active"),
    "rejected": ("不予备案", "rejected"),
    "expired": ("已到期", "expired"),
    "lapsed": ("备案失效", "lapsed"),
    "cancelled": ("已注销", "cancelled"),
    "revoked": ("已撤销", "revoked"),
}

KIND: dict[str, Pair] = {
    "employer": ("用人单位", "employer"),
    "social_org": ("社会培训评价组织", "social training and evaluation organisation"),
    "technical_school": ("技工院校", "technical school"),
}

JURISDICTION: dict[str, Pair] = {
    "hunan": ("湖南省", "Hunan"),
    "chengdu": ("成都市", "Chengdu"),
    "huangshi": ("黄石市", "Huangshi"),
    "zhengzhou": ("郑州市", "Zhengzhou"),
}

ROLE: dict[str, Pair] = {
    "admin": ("管理员", "administrator"),
    "regulator": ("监管人员", "regulator"),
    "supervisor": ("督导员", "supervisor"),
    "institution": ("评价机构", "institution"),
    "reviewer": ("复核人员", "appeal reviewer"),
    "system": ("系统", "system"),
}

#: Sanction levels (rulebook ``sanction_levels``), as the escalation engine names them.
LEVEL: dict[str, Pair] = {
    "0": ("宣布无效", "void results"),
    "1": ("约谈", "interview"),
    "2": ("限期整改", "rectification"),
    "3": ("撤销备案", "revocation"),
}

ACTION: dict[str, Pair] = {
    "void_results": ("宣布证书或成绩无效", "void certificates or results"),
    "institution_explanation": ("机构书面说明", "written explanation"),
    "interview": ("约谈主要负责人", "interview of the principal"),
    "warning": ("警示", "warning"),
    "rectification": ("限期整改", "rectification order"),
    "suspension": ("暂停评价", "suspension of evaluation"),
    "public_announcement": ("向社会公布", "public announcement"),
    "abnormal_activity_list": ("列入经营异常名录", "abnormal-activity list"),
    "bad_integrity_file": ("记入不良信用档案", "bad-integrity file"),
    "supervision_file": ("列入监管档案", "supervision file"),
    "revocation": ("撤销备案", "revocation of the filing"),
    "ban": ("禁止再次备案", "ban on new filings"),
    "discipline_recommendation": ("建议给予处分", "recommend discipline"),
}

CASE_STEP: dict[str, Pair] = {
    "opened": ("已立案", "opened"),
    "noticed": ("已告知，待陈述申辩", "notice issued, awaiting defence"),
    "decided": ("已决定，待送达", "decided, awaiting service"),
    "served": ("已送达", "served"),
}

RECTIFICATION: dict[str, Pair] = {
    "ordered": ("整改中", "in progress"),
    "reported": ("已提交整改报告", "report submitted"),
    "accepted": ("整改合格", "accepted"),
    "overdue": ("逾期未整改", "overdue"),
    "lifted": ("已解除", "lifted"),
}

#: The state of a decision in the sanctions ledger.
SANCTION_STATUS: dict[str, Pair] = {
    "decided": ("已决定", "decided"),
    "served": ("已送达", "served"),
    "annulled": ("已撤销", "annulled"),
    "varied": ("已变更", "varied"),
}

#: Public disclosure measures.
MEASURE: dict[str, Pair] = {
    "revocation": ("撤销备案", "revocation"),
    "rectification_notice": ("限期整改通知", "rectification notice"),
    "abnormal_activity_list": ("列入活动异常名录", "abnormal-activity list"),
    "ban": ("禁止备案", "ban on filing"),
    "annual_result": ("年度评估结果", "annual assessment result"),
}

#: Why a publication ended.
ENDED: dict[str, Pair] = {
    "accepted": ("整改验收合格", "rectification accepted"),
    "annulled": ("决定被撤销", "decision annulled"),
    "varied": ("决定被变更", "decision varied"),
    "ban_expired": ("禁止期满", "ban expired"),
    "superseded": ("已由下一年度结果取代", "superseded by the next year's result"),
}

APPEAL_KIND: dict[str, Pair] = {
    "reconsideration": ("行政复议", "administrative reconsideration"),
    "review": ("行政诉讼", "judicial review"),
}

EVENT: dict[str, Pair] = {
    "FilingSubmitted": ("提交备案申请", "Filing submitted"),
    "FilingResubmitted": ("重新提交备案申请", "Filing resubmitted"),
    "FilingApproved": ("准予备案", "Filing approved"),
    "FilingImported": ("导入备案（原有登记）", "Filing imported (earlier register)"),
    "FilingApprovalImported": ("导入原备案批准", "Original approval imported"),
    "SanctionImported": ("导入原有处理", "Earlier sanction imported"),
    "FilingRejected": ("不予备案", "Filing rejected"),
    "DetailsChanged": ("变更基本信息", "Details changed"),
    "ScopeChangeRequested": ("申请变更评价范围", "Scope change requested"),
    "ScopeChangeApproved": ("准予变更评价范围", "Scope change approved"),
    "ScopeChangeRejected": ("不予变更评价范围", "Scope change rejected"),
    "RenewalRequested": ("申请延续备案", "Renewal requested"),
    "RenewalApproved": ("准予延续备案", "Renewal approved"),
    "RenewalRejected": ("不予延续备案", "Renewal rejected"),
    "FilingExpired": ("备案到期", "Filing expired"),
    "FilingLapsed": ("备案失效", "Filing lapsed"),
    "FilingCancelled": ("注销备案", "Filing cancelled"),
    "FindingRecorded": ("记录违规事实", "Finding recorded"),
    "FindingDismissed": ("撤销违规事实", "Finding dismissed"),
    "EvaluationReported": ("报送评价批次", "Evaluation batch reported"),
    "BatchFlagged": ("评价批次检查提示", "Batch check flagged"),
    "ComplaintReceived": ("收到投诉举报", "Complaint received"),
    "ComplaintVerified": ("投诉举报核查", "Complaint verified"),
    "AnnualAssessmentRecorded": ("记录年度考核", "Annual assessment recorded"),
    "CaseOpened": ("立案", "Case opened"),
    "NoticeIssued": ("告知拟处理决定", "Notice issued"),
    "DefenceSubmitted": ("提交陈述申辩", "Defence submitted"),
    "DefenceWaived": ("放弃陈述申辩", "Defence waived"),
    "CaseDecided": ("作出处理决定", "Decision taken"),
    "DecisionServed": ("送达处理决定", "Decision served"),
    "InterviewHeld": ("约谈", "Interview held"),
    "ResultsVoided": ("宣布评价结果无效", "Results voided"),
    "RectificationOrdered": ("责令限期整改", "Rectification ordered"),
    "RectificationReportSubmitted": ("提交整改报告", "Rectification report submitted"),
    "AttachmentsSubmitted": ("提交整改报告附件", "Report attachments submitted"),
    "RectificationAccepted": ("整改验收合格", "Rectification accepted"),
    "RectificationOverdue": ("整改逾期", "Rectification overdue"),
    "FilingRevoked": ("撤销备案", "Filing revoked"),
    "AppealFiled": ("申请复议或提起诉讼", "Appeal filed"),
    "AppealDecided": ("复议或诉讼结果", "Appeal decided"),
    "EvaluationPaused": ("现场暂停评价", "Evaluation paused on site"),
    "EvaluationResumed": ("恢复评价", "Evaluation resumed"),
    "EvaluationStopped": ("现场终止评价", "Evaluation stopped on site"),
    "RosterOpened": ("开设职业名册", "Occupation roster opened"),
    "RosterHoldingSet": ("更新职业名册", "Roster holding set"),
    "TokenIssued": ("签发令牌", "Token issued"),
    "TokenExpirySet": ("设定令牌有效期", "Token expiry set"),
    "TokenRevoked": ("吊销令牌", "Token revoked"),
    "TokenIssuedToUser": ("令牌归属用户", "Token issued to a user"),
    "UserCreated": ("创建用户", "User created"),
    "PasswordSet": ("设置密码", "Password set"),
    "UserRoleChanged": ("变更用户角色", "User role changed"),
    "UserDisabled": ("停用用户", "User disabled"),
    "SignInFailed": ("登录失败", "Sign-in failed"),
    "UserLocked": ("账户锁定", "Account locked"),
    "SignInSucceeded": ("登录成功", "Signed in"),
    "RegistryOpened": ("开设登记簿", "Registry opened"),
    "RegistryEntryAdded": ("登记簿新增条目", "Registry entry added"),
    "IdempotentRequestRecorded": ("记录幂等请求", "Idempotent request recorded"),
    "SupervisorCertified": ("督导员取得资格", "Supervisor certified"),
    "SupervisorCardRenewed": ("督导员证件换发", "Supervisor card renewed"),
    "SupervisorAppointed": ("聘任督导员", "Supervisor appointed"),
    "AnnualReviewRecorded": ("督导员年度考评", "Annual review recorded"),
    "AssignmentSuspended": ("暂停督导派遣", "Assignments suspended"),
    "AssignmentSuspensionLifted": ("恢复督导派遣", "Assignment suspension lifted"),
    "SupervisorDecertified": ("取消督导员资格", "Supervisor decertified"),
    "ConflictOfInterestDeclared": ("申报利益冲突", "Conflict of interest declared"),
    "ConflictOfInterestEnded": ("利益冲突结束", "Conflict of interest ended"),
    "SupervisionLogOpened": ("开设督导记录", "Supervision log opened"),
    "SupervisionLogged": ("记录督导", "Supervision logged"),
    "SupervisionUnlogged": ("撤回督导记录", "Supervision unlogged"),
    "AssignmentMade": ("派遣督导员", "Supervisor assigned"),
    "AssignmentWithdrawn": ("撤回派遣", "Assignment withdrawn"),
    "VisitFiled": ("提交督导记录", "Visit filed"),
    "SupervisionVisitRecorded": ("记录督导检查", "Supervision visit recorded"),
    "CampaignOpened": ("开展专项抽查", "Inspection campaign opened"),
    "CampaignDrawn": ("抽取检查对象", "Campaign drawn"),
    "CampaignPublished": ("公布抽查结果", "Campaign published"),
    "SupervisionOpinionIssued": ("出具督导意见书", "Supervision opinion issued"),
    "SupervisionReportSubmitted": ("提交督导整改报告", "Supervision report submitted"),
    "SupervisionReportOverdue": ("督导整改报告逾期", "Supervision report overdue"),
    "SupervisorCardExpired": ("督导员证件到期", "Supervisor card expired"),
    "SupervisorTermEnded": ("督导员聘期届满", "Supervisor term ended"),
    "OfficerAssigned": ("指定承办人", "Officer assigned"),
    "OfficerReassigned": ("更换承办人", "Officer reassigned"),
}

#: Names of event fields shown in the timeline.
FIELD: dict[str, Pair] = {
    "reason": ("原因", "reason"),
    "rule_id": ("条款", "article"),
    "finding_id": ("违规事实", "finding"),
    "case_id": ("案件", "case"),
    "decision_id": ("决定", "decision"),
    "appeal_id": ("复议", "appeal"),
    "complaint_id": ("投诉", "complaint"),
    "batch_id": ("批次", "batch"),
    "level": ("等级", "level"),
    "intended_level": ("拟处理等级", "intended level"),
    "actions": ("措施", "actions"),
    "articles": ("条款", "articles"),
    "deadline": ("期限", "deadline"),
    "defence_deadline": ("申辩截止", "defence deadline"),
    "valid_from": ("有效期起", "valid from"),
    "valid_until": ("有效期至", "valid until"),
    "receipt_number": ("回执编号", "receipt"),
    "ban_until": ("禁止备案至", "banned until"),
    "facts": ("事实", "facts"),
    "reasons": ("理由", "reasons"),
    "summary": ("摘要", "summary"),
    "channel": ("渠道", "channel"),
    "substantiated": ("是否属实", "substantiated"),
    "outcome": ("结果", "outcome"),
    "candidates": ("考生人数", "candidates"),
    "unqualified_candidates": ("不符合条件人数", "unqualified candidates"),
    "site": ("考点", "site"),
    "occupation": ("职业", "occupation"),
    "remarks": ("意见", "remarks"),
    "report": ("报告", "report"),
    "pledge": ("承诺", "pledge"),
    "statement": ("陈述", "statement"),
    "severity": ("情节", "severity"),
    "source": ("来源", "source"),
    "name": ("名称", "name"),
    "district": ("区县", "district"),
    "address": ("地址", "address"),
    "scope": ("评价范围", "scope"),
    "test_sites": ("考核场所", "test sites"),
    "kind": ("类型", "kind"),
    "change_id": ("变更编号", "change"),
    "suspended_from": ("暂停自", "suspended from"),
    "deciding_body": ("决定机关", "deciding body"),
    "below_reason": ("低于要求的理由", "reason for going below"),
    "flags": ("检查发现", "checks"),
    **FORM_FIELDS,
    **PORTAL_FIELDS,
    **NOTICE_FIELDS,
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _humanise(code: str) -> str:
    """``RectificationOverdue`` → ``Rectification overdue``; ``no_such`` → ``no such``."""
    words = _CAMEL.sub(" ", code).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else code


@dataclass(frozen=True)
class Translator:
    """The labels of one language; templates call it as ``t("key")``."""

    lang: Lang

    @property
    def index(self) -> int:
        return LANGS.index(self.lang)

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.lang == "zh" else "en"

    @property
    def other(self) -> Lang:
        return "en" if self.lang == "zh" else "zh"

    def __call__(self, key: str, **values: object) -> str:
        text = LABELS[key][self.index]
        if "|" in text:  # "singular|plural", chosen by the count n
            singular, plural = text.split("|", 1)
            text = singular if values.get("n") == 1 else plural
        return text.format(**values) if values else text

    def pick(self, zh: str, en: str) -> str:
        """The text of this language from a Chinese and an English one."""
        return zh if self.lang == "zh" else en

    def _code(self, table: dict[str, Pair], code: object) -> str:
        if code is None or code == "":
            return ""
        pair = table.get(str(code))
        return pair[self.index] if pair else str(code)

    def status(self, code: str) -> str:
        return self._code(STATUS, code)

    def kind(self, code: str) -> str:
        return self._code(KIND, code)

    def jurisdiction(self, code: str | None) -> str:
        return self._code(JURISDICTION, code)

    def role(self, code: str) -> str:
        return self._code(ROLE, code)

    def level(self, code: object) -> str:
        return self._code(LEVEL, code)

    def action(self, code: str) -> str:
        return self._code(ACTION, code)

    def case_step(self, code: str) -> str:
        return self._code(CASE_STEP, code)

    def rectification(self, code: str) -> str:
        return self._code(RECTIFICATION, code)

    def sanction_status(self, code: str) -> str:
        return self._code(SANCTION_STATUS, code)

    def measure(self, code: str) -> str:
        return self._code(MEASURE, code)

    def ended(self, code: str) -> str:
        return self._code(ENDED, code)

    def appeal_kind(self, code: str) -> str:
        return self._code(APPEAL_KIND, code)

    def late(self, code: str | None) -> str:
        return self._code(LATE, code)

    def chain_reason(self, reason: str) -> str:
        return self._code(CHAIN_REASON, reason)

    def rating_change(self, code: str) -> str:
        return self._code(RATING_CHANGE, code)

    def event(self, name: str) -> str:
        pair = EVENT.get(name)
        return pair[self.index] if pair else _humanise(name)

    def field(self, name: str) -> str:
        pair = FIELD.get(name)
        return pair[self.index] if pair else name.replace("_", " ")

    def bool(self, value: object) -> str:
        return self("common.yes") if value else self("common.no")

    def date(self, value: date | None) -> str:
        return value.isoformat() if value is not None else ""

    def instant(self, value: datetime | None) -> str:
        """A recording instant in Beijing time, to the second."""
        if value is None:
            return ""
        return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def choose_lang(query: str | None, cookie: str | None) -> Lang:
    """``?lang=`` wins, then the cookie, then Chinese."""
    for candidate in (query, cookie):
        if candidate == "zh":
            return "zh"
        if candidate == "en":
            return "en"
    return DEFAULT_LANG


def translator(lang: Lang) -> Translator:
    return Translator(lang)
