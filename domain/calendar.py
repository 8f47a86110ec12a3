"""Calendar arithmetic on business dates (Asia/Shanghai days; no clock is read)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative), clamped to month end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def shanghai_date(instant: datetime) -> date:
    """The business date in Asia/Shanghai of an instant (naive instants are UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(SHANGHAI).date()
