"""What the bodies share: request bodies refuse unknown fields; response bodies are built
from what the domain returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """A request body, or a part of one. A field it does not declare is refused, named
    (``"bogus: Extra inputs are not permitted"``), rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body read from a domain object's attributes (or a mapping's keys).

    Each field takes the value of the attribute or key of the same name, validated as the
    field says; a nested body is read the same way from the object in its place. What has
    no namesake in the source is computed by the caller and passed by keyword.
    """

    @classmethod
    def build(cls, source: object, **computed: Any) -> Self:
        values = dict(computed)
        for name in cls.model_fields.keys() - computed.keys():
            if isinstance(source, Mapping):
                if name in source:
                    values[name] = source[name]
            elif hasattr(source, name):
                values[name] = getattr(source, name)
        return cls.model_validate(values, from_attributes=True)
