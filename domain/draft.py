"""A draft rulebook: parsed from YAML text with line numbers kept, so that every problem
names the file, the line and the field; and the catalogue the draft would make."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from domain.errors import InvalidInput
from domain.rulebook import Catalogue, Rulebook


@dataclass(frozen=True)
class DraftProblem:
    file: str
    line: int  # 1-based
    field: str  # "articles.3.level"; "" for the document as a whole
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.file}:{self.line}:{where}: {self.reason}"


class DraftError(InvalidInput):
    """A draft that does not validate; ``problems`` lists each with its file, line, field."""

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__("; ".join(str(p) for p in problems), field=first.field or "draft")


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node ``loc`` reaches (a missing key: its mapping's line)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, _ in node.value if k.value == str(part)), None)
            if found is None or key is None:
                return line
            node, line = found, key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _validation_problems(file: str, root: yaml.Node, exc: ValidationError) -> list[DraftProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        # pydantic names a union or model branch in the path; keep the data's own keys
        data_loc = tuple(p for p in loc if isinstance(p, int) or not str(p)[:1].isupper())
        field = ".".join(str(p) for p in data_loc)
        reason = str(error["msg"]).removeprefix("Value error, ")
        problems.append(DraftProblem(file, _line_of(root, data_loc), field, reason))
    return problems


def parse_draft(raw: bytes, file: str) -> Rulebook:
    """The draft in ``raw`` (YAML) as a rulebook; ``DraftError`` names file, line and field."""
    text = raw.decode("utf-8", errors="replace")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise DraftError([DraftProblem(file, line, "", f"not valid YAML: {reason}")]) from None
    if not isinstance(data, dict) or root is None:
        raise DraftError([DraftProblem(file, 1, "", "the top level must be a mapping")])
    data["content_hash"] = hashlib.sha256(raw).hexdigest()
    data.setdefault("source_file", file)
    try:
        return Rulebook.model_validate(data)
    except ValidationError as exc:
        raise DraftError(_validation_problems(file, root, exc)) from None


def with_draft(catalogue: Catalogue, draft: Rulebook) -> Catalogue:
    """The catalogue as it would be with ``draft`` published: a draft with the id and version
    of a published file replaces it; otherwise it is added."""
    kept = [r for r in catalogue if (r.id, r.version) != (draft.id, draft.version)]
    return Catalogue([*kept, draft])
