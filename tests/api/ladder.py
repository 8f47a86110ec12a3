"""A fluent driver for due process through the HTTP API, used by the ladder tests."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


class Ladder:
    def __init__(self, api: Api, iid: str, headers: dict[str, str] | None = None) -> None:
        self.api = api
        self.iid = iid
        self.base = f"/api/v1/institutions/{iid}"
        self.headers = headers or api.admin

    def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = self.api.post(self.base + path, body, self.headers)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    def finding(self, rule_id: str, on: str, severity: str = "minor") -> str:
        body = {
            "rule_id": rule_id,
            "severity": severity,
            "occurred_on": on,
            "source": "inspection",
            "reference": f"visit {on}",
            "facts": f"{rule_id} observed on {on}",
        }
        return str(self.post("/findings", body, 201)["finding_id"])

    def requirement(self, as_of: str) -> dict[str, Any]:
        response = self.api.get(self.base + "/assessment", self.headers, as_of=as_of)
        assert response.status_code == 200, response.text
        requirement: dict[str, Any] = response.json()["requirement"]
        return requirement

    def case(
        self,
        finding_ids: list[str],
        on: str,
        *,
        decide_on: str,
        level: int | None = None,
        below_reason: str = "",
        body: str | None = None,
        rectification_days: int = 30,
        defence: bool = True,
    ) -> str:
        case_id = self.post("/cases", {"finding_ids": finding_ids, "occurred_on": on}, 201)[
            "case_id"
        ]
        self.post(
            f"/cases/{case_id}/notice",
            {"facts": "查明的事实", "reasons": "理由", "occurred_on": on, "defence_days": 10},
        )
        if defence:
            self.post(f"/cases/{case_id}/defences", {"statement": "陈述与申辩", "occurred_on": on})
        decision: dict[str, Any] = {
            "reasons": "综合陈述申辩意见作出决定",
            "occurred_on": decide_on,
            "rectification_days": rectification_days,
        }
        if level is not None:
            decision["level"] = level
        if below_reason:
            decision["below_reason"] = below_reason
        if body:
            decision["deciding_body"] = body
        decision_id = str(self.post(f"/cases/{case_id}/decision", decision)["decision_id"])
        self.post(f"/cases/{case_id}/service", {"occurred_on": decide_on})
        self.case_id = case_id
        return decision_id

    def interview(self, decision_id: str, on: str) -> None:
        self.post(
            f"/decisions/{decision_id}/interview",
            {"attendees": ["主要负责人"], "pledge": "规范操作", "occurred_on": on},
        )

    def rectify(self, decision_id: str, report_on: str, accept_on: str) -> None:
        self.post(
            f"/decisions/{decision_id}/rectification-reports",
            {"report": "整改报告", "occurred_on": report_on},
        )
        self.post(
            f"/decisions/{decision_id}/rectification-acceptance",
            {"remarks": "验收合格", "occurred_on": accept_on},
        )

    def annul(self, decision_id: str, on: str) -> None:
        appeal = self.post(
            f"/decisions/{decision_id}/appeals",
            {"kind": "reconsideration", "grounds": "事实不清", "occurred_on": on},
            201,
        )["appeal_id"]
        self.post(
            f"/appeals/{appeal}/decision",
            {"outcome": "annulled", "reasons": "复议撤销", "occurred_on": on},
        )

    def state(self) -> dict[str, Any]:
        response = self.api.get(self.base, self.headers)
        state: dict[str, Any] = response.json()
        return state
