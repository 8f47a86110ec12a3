"""Domain errors. The API maps each class to one HTTP status in one place."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base class: a command was refused and nothing was written."""

    def __init__(self, detail: str, *, field: str | None = None, articles: Sequence[str] = ()):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.articles = tuple(articles)


class InvalidInput(DomainError):
    """A value is malformed (422); ``field`` names it."""


class NotFound(DomainError):
    """The addressed record does not exist (404)."""


class Conflict(DomainError):
    """The command clashes with what exists (409); ``existing`` names the record."""

    def __init__(
        self,
        detail: str,
        *,
        existing: str | None = None,
        field: str | None = None,
        articles: Sequence[str] = (),
    ):
        super().__init__(detail, field=field, articles=articles)
        self.existing = existing


class VersionConflict(Conflict):
    """``If-Match`` named a version that is no longer current (409)."""


class RuleRefusal(DomainError):
    """A rule of the jurisdiction forbids the command (422); ``articles`` cites it."""


class Forbidden(DomainError):
    """The principal may not do this (403)."""
