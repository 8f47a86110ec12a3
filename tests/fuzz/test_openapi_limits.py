"""What the OpenAPI promises about input, read from ``/openapi.json``: every value a request
may send is bounded (strings by length and a pattern refusing control characters, lists
and maps by size, numbers by range), every request body refuses unknown fields, and every
operation declares the problems it may answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings

Schema = dict[str, Any]


@pytest.fixture(scope="module")
def openapi() -> Schema:
    settings = Settings(database_url="sqlite:///:memory:")
    application = build_application(settings)
    with TestClient(web_service(settings, application)) as client:
        document: Schema = client.get("/openapi.json").json()
    return document


def resolve(openapi: Schema, schema: Schema) -> Schema:
    if "$ref" in schema:
        resolved: Schema = openapi["components"]["schemas"][schema["$ref"].split("/")[-1]]
        return resolved
    return schema


def leaves(openapi: Schema, schema: Schema, where: str) -> Iterator[tuple[str, Schema]]:
    """Every schema a value may be checked against, with where it sits (``scope.[].levels``)."""
    schema = resolve(openapi, schema)
    yield where, schema
    for alternative in schema.get("anyOf", []):
        yield from leaves(openapi, alternative, where)
    for name, prop in schema.get("properties", {}).items():
        yield from leaves(openapi, prop, f"{where}.{name}")
    if "items" in schema:
        yield from leaves(openapi, schema["items"], f"{where}.[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from leaves(openapi, schema["additionalProperties"], f"{where}.{{}}")
    if isinstance(schema.get("propertyNames"), dict):
        yield from leaves(openapi, schema["propertyNames"], f"{where}.{{key}}")


def unbounded(where: str, schema: Schema) -> str | None:
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "const" not in schema:
        if schema.get("format") in ("uuid", "date", "date-time"):
            return None if schema["format"] == "uuid" or "pattern" in schema else where
        return None if "maxLength" in schema and "pattern" in schema else where
    if kind == "array":
        return None if "maxItems" in schema else where
    if kind in ("integer", "number"):
        return None if "minimum" in schema and "maximum" in schema else where
    if kind == "object" and "properties" not in schema:
        return None if "maxProperties" in schema else where
    if kind == "object":
        return None if schema.get("additionalProperties") is False else f"{where} (extra)"
    return None


def operations(openapi: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, methods in openapi["paths"].items():
        if path.startswith("/api/"):
            for method, operation in methods.items():
                yield method.upper(), path, operation


def test_every_request_value_is_bounded_and_every_body_closed(openapi: Schema) -> None:
    loose = []
    for method, path, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("query", "path"):
                found = leaves(openapi, parameter["schema"], parameter["name"])
                loose += [f"{method} {path} {w}" for w, s in found if unbounded(w, s)]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            found = leaves(openapi, body["schema"], "body")
            loose += [f"{method} {path} {unbounded(w, s)}" for w, s in found if unbounded(w, s)]
    assert loose == []


def test_every_operation_declares_the_problems_it_may_answer(openapi: Schema) -> None:
    for method, path, operation in operations(openapi):
        responses = operation["responses"]
        expected = {"404", "409", "422", "503"}
        if any(p["name"].lower() == "authorization" for p in operation.get("parameters", [])):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            content = responses[status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            named = "InvalidProblem" if status in ("413", "422") else "Problem"
            assert content["application/problem+json"]["schema"]["$ref"].endswith(named)
    assert "HTTPValidationError" not in openapi["components"]["schemas"]


def test_a_refused_input_is_declared_to_name_its_field(openapi: Schema) -> None:
    invalid = openapi["components"]["schemas"]["InvalidProblem"]
    assert {"type", "title", "status", "detail", "field", "errors"} <= set(invalid["required"])
    assert invalid["properties"]["field"]["minLength"] == 1
    error = resolve(openapi, invalid["properties"]["errors"]["items"])
    assert set(error["required"]) == {"field", "reason"}
