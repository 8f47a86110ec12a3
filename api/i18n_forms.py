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
}
