"""Labels of the reviewer's pages in Chinese and English: the file drawn at a point in time,
each decision explained, the credit rating's history, supervisor workload and rotation, and
the read models' status. :mod:`api.i18n` merges them into its tables.
"""

from __future__ import annotations

Pair = tuple[str, str]

REVIEW_LABELS: dict[str, Pair] = {
    "nav.workload": ("督导工作量", "Workload"),
    "nav.status": ("投影状态", "Projections"),
    # the file at a point in time
    "file.point": ("查看时点", "Point in time"),
    "file.point_hint": (
        "业务日期：只计入业务日期在此之前的事实；系统所知时点：只计入此刻之前已录入的事件（北京时间）。",
        "Business date: only facts dated on or before it. Known at: only events the ledger"
        " had recorded by that instant (Beijing time).",
    ),
    "file.known_at": ("系统所知时点", "Known at"),
    "file.redraw": ("重绘", "Redraw"),
    "file.now": ("回到现在", "Back to now"),
    "file.then": ("本页显示档案在过去某一时点的样子：", "This page shows the file as it stood:"),
    "file.then_as_of": ("业务日期截至 {d}", "business date up to {d}"),
    "file.then_known_at": ("系统截至 {t} 所知", "as the ledger knew it at {t}"),
    "file.order": ("排序", "Order"),
    "file.order_recorded": ("按录入顺序", "Recording order"),
    "file.order_business": ("按业务日期", "Business-date order"),
    "file.late": ("晚录原因", "Recorded later"),
    "file.late_line": (
        "晚 {n} 天录入：{why}",
        "recorded {n} day later: {why}|recorded {n} days later: {why}",
    ),
    "file.chain_ok": (
        "哈希链已核验：{n} 条事件完整",
        "Hash chain verified: {n} event intact|Hash chain verified: {n} events intact",
    ),
    "file.chain_broken": (
        "哈希链在第 {n} 条事件处断开",
        "Hash chain breaks at event {n}",
    ),
    "file.chain_known_at": ("核验截至 {t} 已录入的事件", "checked over the events recorded by {t}"),
    "file.documents": ("正式文书", "Formal documents"),
    "file.not_shown": ("不在所选时点内", "not at the chosen point"),
    # the credit rating
    "rating.title": ("信用等级", "Credit rating"),
    "rating.chart": ("信用等级变化", "Credit rating over time"),
    "rating.on": ("{d} 的等级", "Grade on {d}"),
    "rating.none": ("本辖区规则未设信用等级。", "The rulebook sets no credit rating."),
    "rating.unrated": ("尚未评定等级", "not rated yet"),
    "rating.cancelled": ("已取消等级", "rating cancelled"),
    "rating.published": ("等级向社会公布", "the rating is published"),
    "rating.internal": ("等级不公开", "the rating is kept internal"),
    "rating.date": ("日期", "Date"),
    "rating.change": ("变化", "Change"),
    "rating.before": ("变化前", "Before"),
    "rating.after": ("变化后", "After"),
    "rating.reason": ("原因", "Reason"),
    "rating.decision": ("决定", "Decision"),
    "rating.event": ("事件", "Event"),
    "rating.basis": ("依据规则", "Rulebook"),
    # a decision explained
    "explain.title": ("决定 {d} 复核说明", "Decision {d} explained"),
    "explain.open": ("单独页面查看", "Open on its own page"),
    "explain.back": ("返回机构档案", "Back to the file"),
    "explain.decided_by": ("作出决定", "Decided by"),
    "explain.recorded": ("录入", "recorded"),
    "explain.known": (
        "作出决定时已知的事件（{n} 条）",
        "What was known when it was decided ({n} event)"
        "|What was known when it was decided ({n} events)",
    ),
    "explain.rulebook": ("所依规则", "Rulebook"),
    "explain.hash": ("内容哈希", "content hash"),
    "explain.then": ("当时的规则要求", "Required then"),
    "explain.now": ("现在重算的规则要求", "Required now"),
    "explain.now_then": ("按所选时点重算的规则要求", "Required at the chosen point"),
    "explain.decision": ("所作决定", "What was decided"),
    "explain.reasons": ("决定理由", "Reasons"),
    "explain.below_reason": ("低于规则要求的理由", "Reason for going below the requirement"),
    "explain.differs": ("重算会得出不同的要求", "The requirement would differ"),
    "explain.same": ("重算得出同样的要求", "The requirement would be the same"),
    "explain.appeals": ("此后的复议或诉讼结果", "Later appeal outcomes"),
    # supervisor workload and rotation
    "workload.title": ("督导员工作量与轮换", "Supervisor workload and rotation"),
    "workload.intro": (
        "按派遣次数排序。未提交记录的派遣：已派遣、未撤回、尚无督导情况记录。",
        "Most assignments first. Without a record: assigned, not withdrawn, no visit record"
        " filed yet.",
    ),
    "workload.supervisor": ("督导员", "Supervisor"),
    "workload.card": ("证件编号", "Card number"),
    "workload.assignments": ("派遣次数", "Assignments"),
    "workload.special": ("其中专项督导", "Special"),
    "workload.withdrawn": ("已撤回", "Withdrawn"),
    "workload.visits": ("督导记录", "Visit records"),
    "workload.open": ("未提交记录", "Without a record"),
    "workload.last": ("最近派遣", "Last assigned"),
    "workload.since": ("派遣起始日期", "Assigned since"),
    "workload.rotation": ("连续督导同一机构", "Consecutive supervisions of one institution"),
    "workload.rule": (
        "依 {article}，同一督导员连续督导同一机构不得超过 {n} 次（{j}）。",
        "Under {article} a supervisor may supervise one institution at most {n} times in a"
        " row ({j}).",
    ),
    "workload.no_rule": ("{j} 的规则未设轮换次数。", "No rotation limit applies in {j}."),
    "workload.institution": ("机构", "Institution"),
    "workload.consecutive": ("连续次数", "In a row"),
    "workload.limit": ("上限", "Limit"),
    "workload.left": ("还可连续", "Left"),
    "workload.at_limit": ("已达上限：下次派遣将被拒绝", "At the limit: the next one is refused"),
    # the read models' status
    "status.title": ("读模型投影状态", "Read-model projection status"),
    "status.intro": (
        "每个读模型已读至的事件序号、事件库的最新序号和两者之差。滞后只说明页面数据可能晚于记录片刻；重建期间滞后属正常。",
        "How far each read model has read, the store's last notification id, and the"
        " difference. Lag only means the pages may trail the record for a moment; it is"
        " expected during a rebuild.",
    ),
    "status.store": ("事件库最新序号", "Store's last notification id"),
    "status.projection": ("读模型", "Read model"),
    "status.position": ("已读至", "Position"),
    "status.head": ("最新序号", "Head"),
    "status.lag": ("滞后", "Lag"),
    "status.updated": ("最后读入事件的录入时间", "Last event applied, recorded at"),
    "status.state": ("状态", "State"),
    "status.current": ("已是最新", "up to date"),
    "status.behind": ("滞后 {n}", "{n} behind"),
    "status.workers": ("内置工作线程", "Embedded workers"),
    "status.no_workers": (
        "本进程未运行内置工作线程（OVERSIGHT_EMBEDDED_WORKERS 未开启）："
        "读模型由 oversight worker projections 进程更新。",
        "No embedded workers in this process (OVERSIGHT_EMBEDDED_WORKERS is off): the read"
        " models are kept by an oversight worker projections process.",
    ),
    "status.running": ("运行中", "running"),
    "status.stopped": ("已停止", "stopped"),
    "status.ready": ("就绪", "ready"),
    "status.degraded": ("降级：有工作线程已停止", "degraded: a worker has stopped"),
}

#: Why an event was recorded well after its business date (``projections.institution_file
#: .late_reason``), said plainly.
LATE: dict[str, Pair] = {
    "demo": ("演示数据，按历史日期载入", "demo data, loaded with historical dates"),
    "system": (
        "由系统在期限检查或数据核对时记录",
        "recorded by the system when its deadline check or data check ran",
    ),
    "finding.inspection": ("事后检查中发现的行为", "conduct found later, on an inspection"),
    "finding.supervision": ("督导检查中发现的行为", "conduct found later, on a supervision visit"),
    "finding.complaint": (
        "核查投诉举报时发现的行为",
        "conduct found when a complaint was verified",
    ),
    "finding.self_report": ("机构事后自行报告", "reported later by the institution itself"),
    "finding.media": ("媒体报道后查实的行为", "conduct found after a media report"),
    "finding.audit": ("审计中发现的行为", "conduct found later, in an audit"),
    "finding.system": ("系统核对报送数据时发现", "found by the system's checks of reported data"),
    "event.EvaluationReported": ("评价结束后报送的批次", "a batch reported after the evaluation"),
    "event.ComplaintReceived": ("收到后登记的投诉举报", "a complaint registered after it arrived"),
    "event.ComplaintVerified": ("核查结束后录入", "recorded when the verification ended"),
    "event.AnnualAssessmentRecorded": (
        "年度考核结果出具后录入",
        "recorded when the annual assessment was issued",
    ),
    "event.DefenceSubmitted": (
        "收到书面陈述申辩后录入",
        "recorded when the written defence came in",
    ),
    "event.DecisionServed": ("送达回证返回后录入", "recorded when the proof of service came back"),
    "event.InterviewHeld": ("约谈之后录入", "recorded after the interview"),
    "event.RectificationReportSubmitted": (
        "收到整改报告后录入",
        "recorded when the rectification report came in",
    ),
    "event.AppealFiled": ("收到复议或诉讼材料后录入", "recorded when the appeal papers came in"),
    "event.AppealDecided": (
        "收到复议机关或法院的结果后录入",
        "recorded when the appeal body's outcome came in",
    ),
    "entered_later": ("事后补录", "entered after the fact"),
}

#: What a hash-chain break says (``domain.chain.link_error``).
CHAIN_REASON: dict[str, Pair] = {
    "prev_hash does not match the preceding event's hash": (
        "与前一条事件的哈希不衔接",
        "prev_hash does not match the preceding event's hash",
    ),
    "content does not match its chain_hash": (
        "内容与其记录的哈希不符（记录被改动过）",
        "content does not match its chain_hash (the record was altered)",
    ),
}

#: How a credit rating changed (``domain.credit.RatingChange.kind``).
RATING_CHANGE: dict[str, Pair] = {
    "granted": ("初始评定", "granted"),
    "lowered": ("降级", "lowered"),
    "cancelled": ("取消", "cancelled"),
    "recovered": ("恢复", "recovered"),
}
