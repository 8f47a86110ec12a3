"""The API fixture of tests/api, for the operations tests that drive the service."""

from tests.api.conftest import api

__all__ = ["api"]
