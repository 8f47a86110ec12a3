# ruff: noqa: E501  (the template as it stood, its lines as long as they were)
"""The file page's timeline, made in Python (``timeline_items``), is the HTML the page's
template drew before, byte for byte: the loop it replaced is drawn here by Jinja with the
templates' own autoescape, over lines that carry every character the escape changes, a
late event, one without a summary, and both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import Environment

from api.i18n import Translator
from api.routes.pages.institution import TimelineLine, _timeline_line, timeline_items
from projections.institution_file import TimelineEntry

#: The template's loop as it stood, inside the ``<ol>`` the page still draws.
DRAWN_BY_THE_TEMPLATE = """  <ol class="timeline" data-testid="timeline">
    {% for entry in timeline %}
    {% set e = entry.event %}
    <li class="tl-item" id="event-{{ e.version }}">
      <div class="tl-clocks">
        <div class="tl-business" title="{{ t('event.occurred_on') }}">{{ e.occurred_on }}</div>
        <div class="tl-recorded muted small" title="{{ t('event.recorded_at') }}">{{ t("event.recorded_at") }} {{ t.instant(e.recorded_at) }}</div>
        {% if e.late_reason %}<div class="tl-late small" data-testid="late-reason">{{ t("file.late_line", n=e.recorded_later, why=t.late(e.late_reason)) }}</div>{% endif %}
      </div>
      <div class="tl-body">
        <div class="tl-title"><span class="tl-no">#{{ e.version }}</span> <strong>{{ entry.label }}</strong>
          <span class="muted small">· {{ t("event.actor") }} {{ e.actor }}（{{ t.role(e.role) }}）</span></div>
        {% if entry.summary %}
        <div class="tl-summary small">{% for k, v in entry.summary %}<span><span class="muted">{{ k }}：</span>{{ v }}</span>{% endfor %}</div>
        {% endif %}
        <details class="small">
          <summary>{{ t("common.details") }}</summary>
          <dl class="facts compact">
            {% for k, v in entry.fields %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
            <dt>{{ t("event.request_id") }}</dt><dd class="mono">{{ e.request_id }}</dd>
          </dl>
        </details>
      </div>
    </li>
    {% endfor %}
  </ol>"""

#: The page's template now, around the list made in Python.
PLACED_BY_THE_TEMPLATE = """  <ol class="timeline" data-testid="timeline">
    {{ timeline_items }}
  </ol>"""

TRICKY = '<b>"Tom\'s" & Jerry</b> 资格不符 6/50（12.00%）'


def entry(version: int, **changes: object) -> TimelineEntry:
    fields: dict[str, object] = {
        "version": version,
        "name": "FindingRecorded",
        "occurred_on": date(2024, 3, 1),
        "recorded_at": datetime(2024, 3, 1, 2, 30, tzinfo=UTC),
        "recorded_later": 0,
        "actor": "regulator.<zhang>",
        "role": "regulator",
        "request_id": "req-'1'&\"2\"",
        "data": {"rule_id": "25.1", "facts": TRICKY, "summary": "x" * 120, "remarks": None},
        "late_reason": None,
    }
    fields.update(changes)
    return TimelineEntry(**fields)  # type: ignore[arg-type]


ENTRIES = (
    entry(1),
    entry(
        2,
        name="ComplaintReceived",
        recorded_at=datetime(2024, 5, 9, 8, 0, tzinfo=UTC),
        recorded_later=69,
        late_reason="event.ComplaintReceived",
        data={"complaint_id": "C-<1>", "substantiated": True, "levels": [1, 2]},
    ),
    entry(3, name="UnknownThingHappened", role="system", data={}),
    entry(4, actor=TRICKY, data={"scope": [{"occupation": "电工 & <焊工>", "levels": [3, 4]}]}),
)


def drawn(template: str, tr: Translator, lines: list[TimelineLine]) -> str:
    environment = Environment(autoescape=True)
    return environment.from_string(template).render(
        t=tr, timeline=lines, timeline_items=timeline_items(lines, tr)
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_timeline_made_in_python_is_the_templates_byte_for_byte(lang: str) -> None:
    tr = Translator(lang)
    lines = [_timeline_line(e, tr) for e in ENTRIES]
    before = drawn(DRAWN_BY_THE_TEMPLATE, tr, lines)
    assert "&lt;b&gt;&#34;Tom&#39;s&#34; &amp; Jerry&lt;/b&gt;" in before
    assert 'data-testid="late-reason"' in before
    assert drawn(PLACED_BY_THE_TEMPLATE, tr, lines) == before


def test_an_empty_timeline_is_the_templates_too() -> None:
    tr = Translator("zh")
    before = drawn(DRAWN_BY_THE_TEMPLATE, tr, [])
    assert drawn(PLACED_BY_THE_TEMPLATE, tr, []) == before
