"""The kinds of value a request carries, each with its limits, declared once.

Every string a request sends is one of the text kinds below; each has a maximum length
fit for what it holds (a real Chinese address or statement of facts fits with room to
spare) and a pattern that refuses control characters: PostgreSQL cannot store a NUL in
text, and none belongs in a name or a reason. Tab, line feed and carriage return are
allowed in the multi-line kinds only. A lone surrogate (``"\\ud800"`` in JSON) is no
string at all and is refused by pydantic itself. :func:`api.errors.reason_of` words a
refusal by these patterns for people ("holds the control character U+0000 at 3").

Business dates lie between :data:`FIRST_DAY` and :data:`LAST_DAY` (whether a date may
lie in the future is the domain's rule); instants carry their UTC offset. Every number
has a bound, and every list a maximum size, given where the list is declared.

A constraint next to a kind (``name: Name = Field(max_length=40)``) is not applied:
pydantic keeps the annotation's. Narrow a kind with ``Annotated[Name, Field(...)]``, or
declare a kind of its own here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field

#: No text holds the C0 controls or DEL; multi-line text may hold tab, LF and CR.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: The characters each pattern allows of the controls.
ALLOWED_CONTROLS = {ONE_LINE: "", LINES: "\t\n\r"}


def first_control(value: str, allowed: str = "") -> tuple[int, str] | None:
    """Where ``value`` first holds what no text here holds, and the character: a C0 control
    or DEL (but those in ``allowed``: tab and line breaks, for the multi-line kinds) or a
    lone surrogate (which a form or a file name can carry where JSON cannot)."""
    for at, char in enumerate(value):
        code = ord(char)
        if (code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF) and char not in allowed:
            return at, char
    return None


# --- text ------------------------------------------------------------------------------------

#: Identifiers, numbers and codes: record ids, batch, session and card numbers, rule ids
#: and articles (``hunan-2023/25.3``), jurisdictions, credit codes, grades, seeds.
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=ONE_LINE)]
#: A telephone number as written (``028-8888 8888 转 123``).
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=ONE_LINE)]
#: Names of people, institutions, bodies and sites; titles; districts; file names.
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE)]
#: Postal addresses.
Address = Annotated[str, Field(min_length=1, max_length=500, pattern=ONE_LINE)]
#: Reasons, summaries, remarks, opinions: a paragraph or a few.
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=LINES)]
#: Facts, statements, reports, grounds and the reasons of a decision: a document's body.
LongText = Annotated[str, Field(min_length=1, max_length=8000, pattern=LINES)]

#: An occupation of the national classification (职业分类大典): ``4-07-05-04``.
Occupation = Annotated[
    str,
    Field(max_length=13, pattern=r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$", examples=["4-07-05-04"]),
]
#: A file's SHA-256, hex.
Sha256 = Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]{64}$")]

#: The same kinds where an empty string means "none".
OptionalCode = Annotated[str, Field(max_length=200, pattern=ONE_LINE)]
Note = Annotated[str, Field(max_length=4000, pattern=LINES)]
LongNote = Annotated[str, Field(max_length=8000, pattern=LINES)]

# --- dates, instants, numbers ----------------------------------------------------------------

FIRST_DAY = date(1949, 1, 1)
LAST_DAY = date(2099, 12, 31)
_YEAR = r"(19(49|[5-9]\d)|20\d\d)"
#: How a business date and an instant are written (the year from 1949 to 2099), as the
#: OpenAPI states it; nothing else is read as one (not ``0`` for 1970-01-01, nor a
#: Unix time, nor an instant without its offset).
DATE_PATTERN = rf"^{_YEAR}-\d\d-\d\d$"
INSTANT_PATTERN = rf"^{_YEAR}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"


def written_as(pattern: str, form: str) -> BeforeValidator:
    """Refuses a value that is not a string written as ``pattern`` (``form`` for people);
    a value already of the type (built in code, not read from a request) passes."""
    compiled = re.compile(pattern)

    def check(value: object) -> object:
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"must be written {form}")
        return value

    return BeforeValidator(check)


#: A business date (Asia/Shanghai): a conduct, a decision, a plan, a deadline.
BusinessDate = Annotated[
    date,
    Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={"pattern": DATE_PATTERN}),
    written_as(DATE_PATTERN, "YYYY-MM-DD, from 1949 to 2099"),
]
#: An instant with its UTC offset (``2024-03-20T10:00:00+08:00``).
Instant = Annotated[
    AwareDatetime,
    Field(
        ge=datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC),
        le=datetime(LAST_DAY.year, 12, 31, 23, 59, 59, tzinfo=UTC),
        json_schema_extra={"pattern": INSTANT_PATTERN},
    ),
    written_as(INSTANT_PATTERN, "as RFC 3339 with its UTC offset, from 1949 to 2099"),
]
#: A cursor of a paged list, as the service issued it (base64url).
Cursor = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")]
#: A record's version: 1 for the first event.
Version = Annotated[int, Field(ge=1, le=1_000_000_000)]
#: A skill level (职业技能等级): 1 (senior technician) to 5 (junior).
SkillLevel = Annotated[int, Field(ge=1, le=5)]
#: A score of an annual assessment, 0-100.
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
