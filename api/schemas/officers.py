"""Bodies and answers of the officers' assignments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Out
from api.schemas.fields import Code, Note, OptionalCode
from api.schemas.institutions import Dated


class AssignOfficerRequest(Dated):
    item_kind: Literal["file", "finding", "case", "rectification", "appeal"] = Field(
        description="the work item: the whole file, or a finding, case, rectification"
        " (by its decision) or appeal"
    )
    item_id: OptionalCode = Field(
        default="", description="the finding, case, decision or appeal id; empty for the file"
    )
    officer: Code = Field(
        examples=["li.wei"], description="the officer: the subject of a regulator's token"
    )
    reason: Note = Field(default="", description="why; required to reassign")


class OfficerResult(Out):
    institution_id: str
    version: int
    item_kind: str
    item_id: str
    officer: str
    #: OfficerAssigned | OfficerReassigned
    recorded: str


class OfficerLine(Out):
    item_kind: str
    item_id: str
    officer: str
