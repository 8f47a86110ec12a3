"""Labels of the draft-impact page in Chinese and English. :mod:`api.i18n` merges them."""

from __future__ import annotations

Pair = tuple[str, str]

IMPACT_LABELS: dict[str, Pair] = {
    "nav.impact": ("草案影响", "Draft impact"),
    "impact.title": ("规则草案影响评估", "What a draft rulebook would change"),
    "impact.intro": (
        "上传或粘贴规则草案（YAML，与已发布规则同一格式）。系统先校验草案，再按现行规则与草案分别回放本辖区每一家机构的全部历史，"
        "列出要求等级、措施、依据、批次检查、信用等级或期限发生变化的机构及其所依据的事件。",
        "Upload or paste a draft rulebook (YAML, in the format of the published ones). The"
        " draft is validated first; then every institution of its jurisdiction is replayed"
        " under the rules in force and under the draft, and each one whose required level,"
        " actions, grounds, batch checks, credit rating or deadlines differ is listed with"
        " the events behind the difference.",
    ),
    "impact.file": ("草案文件", "Draft file"),
    "impact.text": ("或粘贴草案内容", "or paste the draft"),
    "impact.as_of": ("评估日期", "Assess on"),
    "impact.as_of_hint": (
        "留空：今天；草案生效日期晚于今天的，按生效之日评估。",
        "Empty: today, or the day the draft takes effect if that is later.",
    ),
    "impact.run": ("回放评估", "Replay"),
    "impact.again": ("评估另一份草案", "Another draft"),
    "impact.refused": ("草案未通过校验", "The draft does not validate"),
    "impact.line": ("行", "Line"),
    "impact.field": ("字段", "Field"),
    "impact.reason": ("原因", "Reason"),
    "impact.no_draft": ("请上传或粘贴草案。", "Upload or paste a draft."),
    "impact.draft": ("草案", "Draft"),
    "impact.against": ("对照", "Against"),
    "impact.scope": ("范围", "Scope"),
    "impact.changes": ("条款变化", "What the draft changes"),
    "impact.no_changes": ("草案与现行规则没有差别。", "The draft changes nothing."),
    "impact.kind": ("变化", "Change"),
    "impact.subject": ("条款", "Article"),
    "impact.parameter": ("参数", "Parameter"),
    "impact.old": ("现行", "Now"),
    "impact.new": ("草案", "Draft"),
    "impact.text_col": ("说明", "Explanation"),
    "impact.progress": ("回放进度", "Replay"),
    "impact.running": (
        "已回放 {replayed} 家，{changed} 家有变化；每秒 {rate} 家；"
        "已读取 {percent}%；预计还需 {eta}",
        "{replayed} replayed, {changed} differ; {rate} a second; {percent}% read; {eta} left",
    ),
    "impact.eta_unknown": ("—", "—"),
    "impact.seconds": ("{n} 秒", "{n} s"),
    "impact.done": (
        "回放完成：{replayed} 家机构，{changed} 家有变化，用时 {seconds} 秒",
        "Done: {replayed} institutions replayed, {changed} differ, in {seconds} s",
    ),
    "impact.failed": ("回放中断：{reason}", "The replay stopped: {reason}"),
    "impact.institutions": ("受影响的机构", "Institutions that differ"),
    "impact.none": ("没有机构受影响。", "No institution differs."),
    "impact.institution": ("机构", "Institution"),
    "impact.what": ("方面", "Aspect"),
    "impact.ref": ("认定/批次", "Finding / batch"),
    "impact.events": ("依据事件", "Events behind it"),
    "impact.by_district": ("按区县", "By district"),
    "impact.by_article": ("按条款", "By article"),
    "impact.count": ("机构数", "Institutions"),
    "impact.district": ("区县", "District"),
    "impact.article": ("条款", "Article"),
    "impact.chart_district": ("受影响机构（按区县）", "Institutions that differ, by district"),
    "impact.chart_article": ("受影响机构（按条款）", "Institutions that differ, by article"),
    "impact.what.level": ("要求等级", "required level"),
    "impact.what.actions": ("措施", "actions"),
    "impact.what.grounds": ("依据", "grounds"),
    "impact.what.batch_checks": ("批次检查", "batch checks"),
    "impact.what.rating": ("信用等级", "credit rating"),
    "impact.what.deadlines": ("期限", "deadlines"),
}
