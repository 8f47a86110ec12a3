"""What the typed read functions share: limits, months, cursors and the caller's scope.

The caller's scope arrives as the ``allowed_*`` arguments made by
:func:`projections.queries.allowed_scope`; :class:`Where` turns it into conditions that
every query adds before its own filters, so a filter outside the scope matches nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput
from projections.queries import MAX_LIMIT

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")


def check_month(value: str | None, field: str) -> None:
    """A month argument is ``"YYYY-MM"`` (or absent)."""
    if value is not None and not _MONTH.match(value):
        raise InvalidInput(f"{field} must be a month written YYYY-MM", field=field)


def encode_key(*values: str) -> str:
    """An opaque cursor naming the sort key of the last row returned."""
    raw = json.dumps(list(values), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key(cursor: str, size: int) -> list[str]:
    """The ``size`` values :func:`encode_key` put in ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInput("the cursor is not one this service issued", field="cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput("the cursor is not one this service issued", field="cursor")
    return [str(v) for v in values]


def decode_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput("the cursor is not one this service issued", field="cursor") from exc


class Where:
    """Conditions and parameters of one query, starting with the caller's scope.

    ``alias`` names the table (or joined table) holding the institution's jurisdiction,
    district and id; ``id_column`` is the id's column there.
    """

    def __init__(
        self,
        alias: str,
        *,
        id_column: str = "institution_id",
        allowed_jurisdiction: str | None,
        allowed_district: str | None,
        allowed_institution_id: UUID | None,
    ) -> None:
        self.alias = alias
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}
        self.equals("jurisdiction", allowed_jurisdiction, "allowed_jurisdiction")
        self.equals("district", allowed_district, "allowed_district")
        self.equals(id_column, allowed_institution_id, "allowed_institution_id")

    def equals(self, column: str, value: Any, param: str | None = None) -> None:
        """``column = value``, unless ``value`` is None (no condition)."""
        if value is None:
            return
        param = param or column
        self.clauses.append(f"{self.alias}.{column} = :{param}")
        self.params[param] = value

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1 = 1"
