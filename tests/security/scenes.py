"""The scenes of the authorization matrix: each makes one record in the state an operation
needs (through the API, as an administrator) and returns what a request about it fills in.

Scenes build on each other (a case is opened on a finding, a decision served after it is
made); each call makes new records, so a fresh scene shares nothing with an earlier one.
The request bodies that name a scene's records are here too.
"""

from __future__ import annotations

from typing import Any

from domain.institution import institution_id
from tests.security.world import (
    EARLIER,
    HOME,
    LONG_AGO,
    TODAY,
    Scene,
    Target,
    World,
    filing,
)

__all__ = ["Scene"]

#: Business dates of the steps a scene takes, in order, all before today.
FOUND_ON = "2026-06-05"
OPENED_ON = "2026-06-10"
NOTICED_ON = "2026-06-12"
DECIDED_ON = "2026-06-20"
REPORTED_ON = "2026-06-25"
SESSION = "S-1"


def _of(world: World, iid: str, **ids: str) -> Target:
    """A record of institution ``iid``; the supervisor concerned is the team's first."""
    return Target({"iid": iid, "supervisor_id": world.team[0], **ids}, iid, world.subjects[0])


# --- the register --------------------------------------------------------------------------


def home(world: World) -> Target:
    return _of(world, world.home, rulebook_id="hunan-2023")


def unfiled(world: World) -> Target:
    """A credit code nobody filed yet; the institution token names its future record."""
    code = world.new_credit_code()
    return _of(world, str(institution_id("hunan", code)), credit_code=code)


def submitted(world: World) -> Target:
    return _of(world, world.submitted())


def approved(world: World) -> Target:
    return _of(world, world.approved())


def renewable(world: World) -> Target:
    """Approved in 2023: its three years end on 2026-08-31, the renewal window is open."""
    return _of(world, world.approved(LONG_AGO))


def renewal_requested(world: World) -> Target:
    target = renewable(world)
    world.post(f"/institutions/{target.institution}/renewal", {"occurred_on": REPORTED_ON})
    return target


def scope_change(world: World) -> Target:
    target = approved(world)
    body = {**scope_change_body(target), "occurred_on": EARLIER}
    changed = world.post(f"/institutions/{target.institution}/scope-changes", body)
    return target.with_ids(change_id=changed["pending_scope_change"]["change_id"])


# --- evidence and due process ----------------------------------------------------------------


def with_finding(world: World, rule_id: str = "hunan-2023/25.9") -> Target:
    target = approved(world)
    body = {**finding_body(rule_id)(target), "occurred_on": FOUND_ON}
    found = world.post(f"/institutions/{target.institution}/findings", body, 201)
    return target.with_ids(finding_id=found["finding_id"])


def with_complaint(world: World) -> Target:
    target = approved(world)
    body = {"channel": "phone", "summary": "考场秩序混乱", "occurred_on": FOUND_ON}
    received = world.post(f"/institutions/{target.institution}/complaints", body, 201)
    return target.with_ids(complaint_id=received["complaint_id"])


def case_open(world: World, rule_id: str = "hunan-2023/25.9") -> Target:
    target = with_finding(world, rule_id)
    body = {"finding_ids": [target.ids["finding_id"]], "occurred_on": OPENED_ON}
    opened = world.post(f"/institutions/{target.institution}/cases", body, 201)
    return target.with_ids(case_id=opened["case_id"])


def noticed(world: World, rule_id: str = "hunan-2023/25.9") -> Target:
    target = case_open(world, rule_id)
    notice = {
        "facts": "查明的事实",
        "reasons": "理由",
        "defence_days": 30,
        "occurred_on": NOTICED_ON,
    }
    world.post(f"/institutions/{target.institution}/cases/{target.ids['case_id']}/notice", notice)
    return target


def defence_closed(world: World, rule_id: str = "hunan-2023/25.9") -> Target:
    target = noticed(world, rule_id)
    case = f"/institutions/{target.institution}/cases/{target.ids['case_id']}"
    world.post(f"{case}/defence-waiver", {"occurred_on": NOTICED_ON})
    return target


def decided(world: World, rule_id: str = "hunan-2023/25.9") -> Target:
    target = defence_closed(world, rule_id)
    case = f"/institutions/{target.institution}/cases/{target.ids['case_id']}"
    body = {"reasons": "综合全案作出决定", "rectification_days": 60, "occurred_on": DECIDED_ON}
    return target.with_ids(decision_id=world.post(f"{case}/decision", body)["decision_id"])


def served(world: World, rule_id: str) -> Target:
    target = decided(world, rule_id)
    case = f"/institutions/{target.institution}/cases/{target.ids['case_id']}"
    world.post(f"{case}/service", {"occurred_on": DECIDED_ON})
    return target


def interview_due(world: World) -> Target:
    """A served decision of level 1: an interview (hunan-2023/25)."""
    return served(world, "hunan-2023/25.9")


def rectification_due(world: World) -> Target:
    """A served decision of level 2: a rectification, due in 60 days (hunan-2023/26)."""
    return served(world, "hunan-2023/26.7")


def rectification_reported(world: World) -> Target:
    target = rectification_due(world)
    path = f"/institutions/{target.institution}/decisions/{target.ids['decision_id']}"
    world.post(f"{path}/rectification-reports", {"report": "整改报告", "occurred_on": REPORTED_ON})
    return target


def appealed(world: World) -> Target:
    target = interview_due(world)
    path = f"/institutions/{target.institution}/decisions/{target.ids['decision_id']}/appeals"
    body = {"kind": "reconsideration", "grounds": "事实不清", "occurred_on": REPORTED_ON}
    return target.with_ids(appeal_id=world.post(path, body, 201)["appeal_id"])


def evaluating(world: World) -> Target:
    """An approved institution holding an evaluation session."""
    return approved(world).with_ids(session_id=SESSION)


def session_paused(world: World) -> Target:
    target = evaluating(world)
    path = f"/institutions/{target.institution}/sessions/{SESSION}/pause"
    world.post(path, {"text": "考场未按一人一桌设置", "occurred_on": REPORTED_ON})
    return target


# --- supervisors, assignments, visits ------------------------------------------------------


def _supervisor(world: World, appointed: bool) -> Target:
    sid, subject = world.supervisor(appointed=appointed)
    return Target({"sid": sid, "iid": world.home}, world.home, subject)


def uncertified(world: World) -> Target:
    """A card number not yet registered, for an internal supervisor of the home institution."""
    return home(world).with_ids(card_number=f"HN-NB-{world.serial():04d}")


def supervisor_certified(world: World) -> Target:
    return _supervisor(world, appointed=False)


def supervisor_appointed(world: World) -> Target:
    return _supervisor(world, appointed=True)


def supervisor_suspended(world: World) -> Target:
    target = supervisor_appointed(world)
    body = {"reason": "考核不合格", "articles": ["hunan-2023/30.3"], "occurred_on": EARLIER}
    world.post(f"/supervisors/{target.ids['sid']}/suspension", body)
    return target


def supervisor_conflicted(world: World) -> Target:
    target = supervisor_appointed(world)
    body = {"institution_id": world.home, "relation": "曾任考评员", "occurred_on": EARLIER}
    world.post(f"/supervisors/{target.ids['sid']}/conflicts", body)
    return target


def assigned(world: World) -> Target:
    """A daily assignment of the team's first supervisor to a new institution."""
    iid, aid = world.assignment()
    return _of(world, iid, aid=aid, session_id=SESSION)


def assignment_paused(world: World) -> Target:
    target = assigned(world)
    path = f"/assignments/{target.ids['aid']}/sessions/{SESSION}/pause"
    world.post(path, {"text": "考场未按一人一桌设置", "occurred_on": FOUND_ON})
    return target


def visited(world: World) -> Target:
    """A special supervision of the whole team, its visit filed."""
    iid, aid = world.assignment("special")
    target = _of(world, iid, aid=aid)
    body = {**visit_body(target), "supervisors": world.team, "occurred_on": FOUND_ON}
    return target.with_ids(vid=world.post("/visits", body, 201)["id"])


def opinion_issued(world: World) -> Target:
    target = visited(world)
    body = {"opinions": ["完善题库"], "report_days": 60, "occurred_on": OPENED_ON}
    world.post(f"/visits/{target.ids['vid']}/opinion", body)
    return target


# --- campaigns -----------------------------------------------------------------------------


def campaign_planned(world: World) -> Target:
    """A technical school whose occupation no other institution holds, and a reference:
    a campaign on that occupation draws from a pool of that school alone."""
    n = world.serial()
    occupation = f"9-99-{n // 100 % 100:02d}-{n % 100:02d}"
    school = world.approved(
        kind="technical_school", scope=[{"occupation": occupation, "levels": [3]}]
    )
    return _of(world, world.home, reference=f"HN-M-{n}", occupation=occupation, school=school)


def campaign_open(world: World) -> Target:
    target = campaign_planned(world)
    opened = world.post("/campaigns", {**campaign_body(target), "occurred_on": EARLIER}, 201)
    return target.with_ids(cid=opened["id"])


def campaign_drawn(world: World) -> Target:
    target = campaign_open(world)
    world.post(f"/campaigns/{target.ids['cid']}/draw", {"seed": "drawn", "occurred_on": TODAY})
    return target


def campaign_published(world: World) -> Target:
    target = campaign_drawn(world)
    world.post(f"/campaigns/{target.ids['cid']}/publication", {"occurred_on": TODAY})
    return target


# --- bodies that name a scene's records ----------------------------------------------------


def filing_of(target: Target) -> dict[str, Any]:
    return filing(target.ids["credit_code"], occurred_on=TODAY)


def scope_change_body(_: Target) -> dict[str, Any]:
    return {
        "scope": [{"occupation": "4-03-02-01", "levels": [2, 3, 4, 5]}],
        "test_sites": ["五一大道考点"],
        "reason": "增加二级（技师）",
        "occurred_on": TODAY,
    }


def finding_body(rule_id: str) -> Any:
    def body(_: Target) -> dict[str, Any]:
        return {
            "rule_id": rule_id,
            "severity": "minor",
            "occurred_on": TODAY,
            "source": "inspection",
            "facts": "考场未按规定张贴考生须知",
        }

    return body


def batch_body(_: Target) -> dict[str, Any]:
    return {
        "batch_id": "B-2026-1",
        "occupation": "4-03-02-01",
        "level": 4,
        "evaluated_on": TODAY,
        "site": "五一大道考点",
        "candidates": 30,
        "unqualified_candidates": 0,
        "passed": 27,
    }


def internal_supervisor_body(target: Target) -> dict[str, Any]:
    return {
        "jurisdiction": "hunan",
        "kind": "internal",
        "institution_id": target.institution,
        "name": "内部督导员",
        "subject": f"nb.{target.ids['card_number'].lower()}",
        "card_number": target.ids["card_number"],
        "occurred_on": TODAY,
    }


def assignment_body(target: Target) -> dict[str, Any]:
    return {
        "institution_id": target.institution,
        "kind": "daily",
        "supervisors": [target.ids["supervisor_id"]],
        "matters": ["考务管理"],
        "occurred_on": TODAY,
    }


def visit_body(target: Target) -> dict[str, Any]:
    return {
        "assignment_id": target.ids["aid"],
        "mode": "on_site",
        "supervisors": [target.ids["supervisor_id"]],
        "checked": ["考场", "题库"],
        "summary": "日常督导",
        "occurred_on": TODAY,
    }


def campaign_body(target: Target) -> dict[str, Any]:
    return {
        "reference": target.ids["reference"],
        "title": "双随机抽查",
        "jurisdiction": "hunan",
        "district": HOME,
        "kind": "daily",
        "matters": ["考务管理"],
        "institution_kinds": ["technical_school"],
        "occupations": [target.ids["occupation"]],
        "target_count": 1,
        "group_size": 1,
        "planned_on": TODAY,
        "occurred_on": TODAY,
    }
