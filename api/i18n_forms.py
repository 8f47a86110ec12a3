"""Labels of the pages' forms (the workbench), merged into :data:`api.i18n.LABELS`.

Refusals are worded by their kind (``refusal.<kind>``, the kinds of :data:`api.errors.STATUS`)
and the label of the field they name (:data:`FORM_FIELDS`, merged into ``FIELD``); the
domain's own message is shown beside, in English, with the text of the articles it cites.
"""

from __future__ import annotations

Pair = tuple[str, str]

FORM_LABELS: dict[str, Pair] = {
    # the machinery
    "form.refused": ("表单已失效，未作任何记录", "This form was refused; nothing was recorded"),
    "form.refused.token": (
        "表单校验码缺失或不符。请重新打开该页面后再提交。",
        "The form's check token is missing or wrong. Open the page again and resubmit.",
    ),
    "form.refused.origin": (
        "表单来自其他网站，已拒绝。",
        "The form was sent from another site and was refused.",
    ),
    "form.unreadable.content_type": (
        "表单须以 {expected} 格式提交，收到的是 {sent}；未作任何记录。",
        "The form must be sent as {expected}, not {sent}; nothing was recorded.",
    ),
    "form.unreadable.too_large": (
        "表单内容超过 {limit} 字节上限；未作任何记录。",
        "The form is over its limit of {limit} bytes; nothing was recorded.",
    ),
    "form.unreadable.too_many": (
        "表单字段超过 {limit} 个上限；未作任何记录。",
        "The form carries more than {limit} fields; nothing was recorded.",
    ),
    "form.unreadable.multipart": (
        "表单内容无法解析（{cause}）；未作任何记录。",
        "The form could not be read ({cause}); nothing was recorded.",
    ),
    "form.domain_says": ("系统说明", "The ledger says"),
    "form.cited": ("所涉条款", "Articles cited"),
    "form.submit": ("提交", "Submit"),
    "form.cancel": ("返回机构档案", "Back to the file"),
    "form.sending": ("正在提交…", "Sending…"),
    "form.once": (
        "每份表单只记录一次：重复提交不会重复记录。",
        "Each form is recorded once: sending it again records nothing more.",
    ),
    "form.optional": ("选填", "optional"),
    "field.occurred_on": ("业务日期", "Business date"),
    "field.decision": ("审核结论", "Outcome"),
    "field.severity": ("情节", "Severity"),
    "field.source": ("来源", "Source"),
    "field.facts": ("查明的事实", "Facts established"),
    "field.reasons": ("理由", "Reasons"),
    "field.statement": ("陈述与申辩", "Statement and defence"),
    "field.below_reason": ("低于规则要求的理由", "Reason for going below the requirement"),
    "field.deciding_body": ("决定机关", "Deciding body"),
    "field.remarks": ("验收意见", "Remarks"),
    "field.pledge": ("承诺事项", "Pledge"),
    "field.outcome": ("复议（复核）结果", "Outcome"),
    # the steps
    "step.review": ("备案审核", "Review the filing"),
    "step.review.filing": ("备案申请", "The filing"),
    "step.review.approve": ("予以备案（出具回执）", "Approve (issue the receipt)"),
    "step.review.reject": ("不予备案", "Reject"),
    "step.review.receipt_hint": (
        "留空则按规则自动编号。",
        "Leave blank for the number the ledger assigns.",
    ),
    "step.review.reason": ("不予备案的理由", "Reason for rejecting"),
    "step.review.reason_hint": ("不予备案时必填。", "Needed when the filing is rejected."),
    "worklist.act": ("办理", "Act"),
    "step.actions": ("监管操作", "Regulator's steps"),
    "step.finding": ("记录违规事实", "Record a finding"),
    "step.finding.picker_on": ("按此日施行的规则列出条款", "List the items in force on"),
    "step.finding.item": ("违规条款（规则原文与处理等级）", "Item (the rulebook's text and level)"),
    "step.finding.occurred_on": ("行为发生日期", "Date of the conduct"),
    "step.finding.occurred_on_hint": (
        "所选条款须属于该日施行的规则。",
        "The item must belong to the rulebook in force on this date.",
    ),
    "step.finding.reference": ("检查记录编号", "Reference"),
    "step.finding.submit": ("记录违规事实", "Record the finding"),
    "step.severity.minor": ("一般", "minor"),
    "step.severity.serious": ("情节严重", "serious"),
    "step.source.inspection": ("检查", "inspection"),
    "step.source.complaint": ("投诉举报", "complaint"),
    "step.source.supervision": ("质量督导", "supervision"),
    "step.source.audit": ("审计", "audit"),
    "step.source.self_report": ("机构自报", "self report"),
    "step.source.media": ("媒体报道", "media"),
    "step.case": ("立案", "Open a case"),
    "step.case.findings": ("纳入本案的违规事实", "Findings of the case"),
    "step.case.submit": ("立案", "Open the case"),
    "step.notice": ("告知拟处理决定", "Send the notice"),
    "step.required": ("规则要求的处理及依据", "What the rules require, and why"),
    "step.noticed_on": ("告知日期", "Noticed on"),
    "step.waived": ("已放弃陈述申辩", "defence waived"),
    "step.defences": ("陈述申辩 {n} 次", "{n} defences"),
    "step.notice.level_hint": (
        "默认为规则要求的等级。",
        "The level the rules require, unless you choose another.",
    ),
    "step.notice.defence_days": ("陈述申辩期限（天）", "Defence period (days)"),
    "step.notice.defence_days_hint": (
        "留空则按规则规定的期限。",
        "Blank: the period the rulebook states.",
    ),
    "step.notice.submit": ("发出告知书", "Send the notice"),
    "step.defence": ("陈述申辩", "Defence or waiver"),
    "step.defence.answer": ("机构的答复", "The institution's answer"),
    "step.defence.defence": ("提出陈述申辩", "A statement and defence"),
    "step.defence.waiver": ("放弃陈述申辩", "Waives the defence"),
    "step.defence.statement_hint": (
        "提出陈述申辩时填写。",
        "The statement, when the institution makes one.",
    ),
    "step.decision": ("作出处理决定", "Decide"),
    "step.decision.level_hint": (
        "默认为规则要求的等级。",
        "The level the rules require, unless you choose another.",
    ),
    "step.decision.below_note": (
        "低于规则要求等级的决定须说明理由，并在台账中标记。",
        "A decision below the level the rules require needs a reason and is flagged.",
    ),
    "step.decision.rectification_days": ("整改期限（天）", "Rectification period (days)"),
    "step.decision.rectification_days_hint": (
        "决定责令整改时适用。",
        "Applies when the decision orders rectification.",
    ),
    "step.decision.body_default": ("按令牌权限", "as the token's scope"),
    "step.body.district": ("区县", "district"),
    "step.body.city": ("市级", "city"),
    "step.body.province": ("省级", "province"),
    "step.decision.submit": ("作出决定", "Decide"),
    "step.service": ("送达决定", "Serve the decision"),
    "step.service.void": ("宣布无效的评价批次", "Batches whose results are voided"),
    "step.service.void_hint": (
        "决定要求宣布评价结果无效时勾选。",
        "Tick the batches when the decision voids results.",
    ),
    "step.service.flags": ("{n} 项检查发现", "{n} check findings"),
    "step.service.submit": ("送达", "Serve"),
    "step.interview": ("实施约谈", "Hold the interview"),
    "step.interview.attendees": ("参加人员", "Attendees"),
    "step.interview.attendees_hint": ("每行一人。", "One per line."),
    "step.interview.submit": ("记录约谈", "Record the interview"),
    "step.rectification": ("整改验收", "Accept the rectification"),
    "step.rectification.open_note": (
        "未予验收的整改保持未完成状态；期限 {deadline} 届满仍未验收的，系统记为逾期。",
        "A rectification not accepted stays open; if it is not accepted by {deadline},"
        " the ledger marks it overdue.",
    ),
    "step.rectification.submit": ("验收合格", "Accept"),
    "step.appeal": ("记录复议（复核）结果", "Record the appeal outcome"),
    "step.appeal.upheld": ("维持", "upheld"),
    "step.appeal.varied": ("变更", "varied"),
    "step.appeal.annulled": ("撤销", "annulled"),
    "step.appeal.new_level": ("变更后的等级", "New level"),
    "step.appeal.new_level_hint": ("变更时填写。", "When the decision is varied."),
    "step.appeal.submit": ("记录结果", "Record the outcome"),
    "step.review.submit": ("提交审核结论", "Record the review"),
    # refusals, by kind
    "refusal.rule-refusal": ("规则不允许此项操作", "the rules do not allow this"),
    "refusal.invalid-input": ("填写内容不被接受", "this value is not accepted"),
    "refusal.conflict": ("与现有记录冲突", "this clashes with the record as it stands"),
    "refusal.version-conflict": (
        "记录已被他人更新，请重新打开后再试",
        "the record changed meanwhile; open it again and retry",
    ),
    "refusal.not-found": ("所指记录不存在", "no such record"),
    "refusal.forbidden": ("您无权执行此项操作", "you may not do this"),
    "refusal.refused": ("操作未被接受", "refused"),
}

#: Labels of the fields the forms send, where the timeline's table has none.
FORM_FIELDS: dict[str, Pair] = {
    "occurred_on": ("业务日期", "business date"),
    "idempotency_key": ("表单编号", "form key"),
    "decision": ("审核结论", "review outcome"),
    "answer": ("答复", "answer"),
    "void_batch_ids": ("无效批次", "batches voided"),
    "attendees": ("参加人员", "attendees"),
    "new_level": ("变更后的等级", "new level"),
    "rectification_days": ("整改期限", "rectification period"),
    "defence_days": ("申辩期限", "defence period"),
    "finding_ids": ("违规事实", "findings"),
    "iid": ("机构", "institution"),
}
