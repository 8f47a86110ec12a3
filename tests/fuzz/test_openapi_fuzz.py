"""Generated requests for every operation of ``/openapi.json``, against the production app.

Schemathesis reads the OpenAPI the running service publishes and generates requests for
each operation: ones that fit the schema (positive) and ones that break it (negative), as
the administrator (so they reach the handlers), now and then with a made-up token, and,
for the operations that name records in their path, often with ids of the records the
seeded store holds. Every answer must be

- no 5xx, and a status, content type, headers and body the operation declares;
- for a request that breaks the schema, a refusal (4xx);
- for every refusal, ``application/problem+json`` with the project's problem shape, a
  refused input (422, 413) naming its field, and nothing written to the store;

and the read models must absorb whatever was accepted. Each operation gets a bounded
number of examples, so the group takes a few minutes; in CI the examples are derived
from the test (``derandomize``), so a run is reproducible.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.errors import PROBLEM
from tests.fuzz.seed import Seeded

pytestmark = pytest.mark.fuzz

#: Examples per operation and mode; the whole group stays within a few minutes.
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 8}
#: Combinations of real ids tried per operation.
REAL_ID_COMBINATIONS = 3
#: The parameters every operation may have that a negative case need not break.
FIXED = {"authorization"}


def refusals_are_problems(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 4xx is problem+json in the project's shape; a refused input names its field."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0] == PROBLEM, response.headers
    problem = response.json()
    assert problem["status"] == response.status_code, problem
    assert problem["type"].startswith("/problems/"), problem
    assert problem["title"], problem
    assert problem["detail"], problem
    if response.status_code in (413, 422):
        assert problem["field"], problem
        assert problem["errors"], problem
        assert all(e["field"] and e["reason"] for e in problem["errors"]), problem
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    refusals_are_problems,
]


def send(client: Any, case: Case) -> tuple[httpx.Response, dict[str, Any]]:
    """The case as the test client sends it (schemathesis prepares it as for ``requests``)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    request = {k: v for k, v in kwargs.items() if k in ("method", "url", "params", "headers")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    if kwargs.get("cookies"):
        request["headers"] = {**request["headers"], "Cookie": _cookie_header(kwargs["cookies"])}
    return client.request(**request), kwargs


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def strategies(operation: APIOperation, mode: GenerationMode, seeded: Seeded) -> list[Any]:
    """As the admin; with a generated token; and, if positive, with real ids in the path."""
    admin = seeded.api.admin
    drawn = [operation.as_strategy(mode, headers=admin), operation.as_strategy(mode)]
    names = [p.name for p in operation.path_parameters]
    if mode.is_positive and names:
        real = itertools.product(*(seeded.ids[name] for name in names))
        for values in itertools.islice(real, REAL_ID_COMBINATIONS):
            path = dict(zip(names, values, strict=True))
            drawn += [operation.as_strategy(mode, headers=admin, path_parameters=path)] * 2
    return drawn


def negatable(operation: APIOperation) -> bool:
    """Whether a negative case can break something but the token: a parameter or a body."""
    names = {p.name.lower() for p in operation.iter_parameters()}
    return bool(names - FIXED) or bool(operation.body)


def exercise(operation: APIOperation, mode: GenerationMode, seeded: Seeded) -> None:
    """Run the examples of one operation; raises on the first answer that fails a check."""
    client = seeded.api.client

    @given(case=st.one_of(strategies(operation, mode, seeded)))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def examples(case: Case) -> None:
        before = seeded.position()
        response, kwargs = send(client, case)
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
        if response.status_code >= 400:
            assert seeded.position() == before, f"{case.method} {case.path} wrote on a refusal"

    examples()


def fuzz(seeded: Seeded, mode: GenerationMode, chosen: Callable[[APIOperation], bool]) -> None:
    openapi = seeded.api.client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(openapi)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not chosen(operation):
            continue
        try:
            exercise(operation, mode, seeded)
        except Exception as failure:  # every operation runs; each failure is reported
            failures.append(f"--- {operation.label} ({mode.value})\n{failure}")
    seeded.api.catch_up()  # the read models take whatever was accepted
    assert not failures, "\n\n".join(failures)


def test_requests_that_fit_the_schema_get_declared_answers(seeded_pg: Seeded) -> None:
    fuzz(seeded_pg, GenerationMode.POSITIVE, lambda _: True)


def test_requests_that_break_the_schema_are_refused_as_declared(seeded_pg: Seeded) -> None:
    fuzz(seeded_pg, GenerationMode.NEGATIVE, negatable)
