"""GET /api/v1/rulebooks: the catalogue."""

from __future__ import annotations

from tests.api.conftest import Api


def test_catalogue_lists_every_rulebook_with_its_hash(api: Api) -> None:
    books = api.get("/api/v1/rulebooks").json()
    assert {b["id"] for b in books} >= {"hunan-2023", "chengdu-2024", "huangshi-2022"}
    assert all(len(b["content_hash"]) == 64 for b in books)


def test_one_rulebook_has_articles_items_and_derived_rules(api: Api) -> None:
    book = api.get("/api/v1/rulebooks/hunan-2023").json()
    items = {i["id"] for a in book["articles"] for i in a["items"]}
    assert {"26.1", "27.10"} <= items
    rules = {r["id"]: r for r in book["derived_rules"]}
    assert rules["again_after_interview"]["yields"] == "26.1"
    assert rules["again_after_interview"]["reasoning_en"]
    missing = api.get("/api/v1/rulebooks/atlantis-2030")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
