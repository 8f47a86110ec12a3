"""The impact run's progress meter: ticks shown at most every so often, the end once."""

from __future__ import annotations

from domain.commands.impact import Progress, ProgressMeter, Report, Tick


class Timer:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ticks_are_shown_at_most_every_interval_and_the_end_at_the_whole_run_s_rate() -> None:
    timer, shown = Timer(), list[Progress]()
    meter = ProgressMeter(timer, 1.0, shown.append)
    report = Report(plan=None, changes=[])  # type: ignore[arg-type]  # the meter reads totals
    for n, at in enumerate((100.5, 101.0, 101.5, 101.9, 102.0, 104.0), start=1):
        timer.now = at
        tick = Tick(None, read=n, total=8)
        report.add(tick)
        meter(report, tick)
    assert [(p.replayed, p.fraction) for p in shown] == [(2, 0.25), (5, 0.625), (6, 0.75)]
    assert shown[0].rate == 2.0
    assert shown[0].eta_seconds == 3.0
    timer.now = 106.0
    assert meter.stop() == 6.0
    timer.now = 200.0
    assert meter.stop() == 6.0  # read once
    assert meter.final(report) == Progress(6, 0, 1.0, 0.0, 1.0)
