"""Supervisor workload and rotation counters (the workload read model)."""

from __future__ import annotations

from projections.workload_queries import rotation_counters, supervisor_workload
from tests.api.conftest import Api
from tests.api.test_supervision_api import ASSIGNMENTS, assign, institution, supervisor


def test_workload_counts_assignments_and_rotation_runs(api: Api) -> None:
    first = institution(api, 1)
    second = institution(api, 2)
    a = supervisor(api, "HN-0501")
    b = supervisor(api, "HN-0502")
    assign(api, first, [a], on="2024-03-01")
    assign(api, first, [a], on="2024-03-05")
    withdrawn = assign(api, first, [b], on="2024-03-08").json()["id"]
    api.post(
        f"{ASSIGNMENTS}/{withdrawn}/withdrawal", {"reason": "误派", "occurred_on": "2024-03-09"}
    )
    assign(api, second, [b], on="2024-03-10")
    api.catch_up()
    store = api.client.app.state.projections.store  # type: ignore[attr-defined]

    loads = {x.card_number: x for x in supervisor_workload(store, jurisdiction="hunan")}
    assert (loads["HN-0501"].assignments, loads["HN-0501"].withdrawn) == (2, 0)
    assert (loads["HN-0502"].assignments, loads["HN-0502"].withdrawn) == (1, 1)
    assert supervisor_workload(store, jurisdiction="hunan", allowed_jurisdiction="chengdu") == []

    runs = {(c.institution_id, c.supervisor_id): c.consecutive for c in rotation_counters(store)}
    assert runs[(first, a)] == 2  # the withdrawn assignment does not break the run
    assert runs[(second, b)] == 1

    workload = api.client.app.state.projections["workload"]  # type: ignore[attr-defined]
    before = workload.content_hash()
    workload.rebuild()
    assert workload.content_hash() == before
