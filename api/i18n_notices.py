"""Labels of officers, the "assigned to me" queue and the notices of deadlines, merged into
:data:`api.i18n.LABELS`."""

from __future__ import annotations

Pair = tuple[str, str]

NOTICE_LABELS: dict[str, Pair] = {
    "nav.notices": ("到期提醒", "Notices"),
    "notices.title": ("到期提醒", "Deadline notices"),
    "notices.intro": (
        "期限到期前若干天发给承办人和机构的提醒；已配置邮件服务器时同时发送邮件，每条只发一次。",
        "Reminders sent to the officer and the institution some days before a deadline; by"
        " e-mail too when a mail server is configured, each once.",
    ),
    "notices.none": ("目前没有提醒。", "No notice now."),
    "notices.institution": ("机构", "Institution"),
    "notices.what": ("事项", "What"),
    "notices.due": ("期限", "Due"),
    "notices.left": ("剩余", "Left"),
    "notices.noticed_on": ("提醒日期", "Noticed on"),
    "notices.email": ("邮件", "E-mail"),
    "notices.email.pending": ("待发送", "waiting"),
    "notices.email.sending": ("发送中", "sending"),
    "notices.email.sent": ("已发送", "sent"),
    "notices.email.failed": ("发送失败", "failed"),
    "notices.email.no_address": ("无邮箱地址", "no address"),
    "notices.portal": ("到期提醒", "Reminders"),
    "worklist.mine": ("分配给我的", "Assigned to me"),
    "worklist.everyone": ("全部事项", "All items"),
    "worklist.officer": ("承办人", "Officer"),
    "worklist.unassigned": ("未指定", "unassigned"),
    "step.officer": ("指定承办人", "Assign the officer"),
    "step.officer.item": ("事项", "Item"),
    "step.officer.file": (
        "整个档案（备案期限及未单独指定的事项）",
        "The whole file (its filing dates and items without an officer of their own)",
    ),
    "step.officer.now": ("现承办人", "now"),
    "step.officer.inherited": ("（随案件或档案）", "(its case's or the file's)"),
    "step.officer.officer": ("承办人（令牌主体名）", "Officer (a token's subject)"),
    "step.officer.reason": ("理由（更换承办人时必填）", "Reason (required to reassign)"),
    "step.officer.submit": ("指定", "Assign"),
    "step.officer.kind.finding": ("违规事实", "Finding"),
    "step.officer.kind.case": ("案件", "Case"),
    "step.officer.kind.rectification": ("整改", "Rectification"),
    "step.officer.kind.appeal": ("复议诉讼", "Appeal"),
}

#: Names of the officer events' fields in the timeline.
NOTICE_FIELDS: dict[str, Pair] = {
    "item_kind": ("事项类型", "item"),
    "item_id": ("事项", "item id"),
    "officer": ("承办人", "officer"),
    "from_officer": ("原承办人", "from"),
    "to_officer": ("新承办人", "to"),
}
