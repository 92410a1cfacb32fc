"""Recovery getting slower, seen before it misses a target.

A run regressed when its RTO, or one of its steps, took more than `factor` times the p50 of the
previous `window` comparable runs (same playbook and kind; for drills also the same target and
drill kind) *and* more than `min_seconds` longer -- the second condition keeps a 0.2 s step that
took 0.5 s from crying wolf. Fewer than `min_history` earlier runs: not judged.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from drctl.core.durations import format_duration
from drctl.report.records import RunRecord
from drctl.report.stats import nearest_rank


@dataclass(frozen=True)
class RegressionRule:
    factor: float = 2.0
    min_seconds: float = 5.0
    window: int = 10
    min_history: int = 3


@dataclass(frozen=True)
class Regression:
    run_id: str
    what: str            # "RTO" or a step's name
    seconds: float
    baseline_p50: float
    baseline_runs: int

    @property
    def message(self) -> str:
        verb = "was" if self.what == "RTO" else "took"
        return (f"{self.what} {verb} {_secs(self.seconds)}, p50 of the last "
                f"{self.baseline_runs} runs {_secs(self.baseline_p50)}")


def find_regressions(records: Iterable[RunRecord], rule: RegressionRule) -> list[Regression]:
    """Regressions of every run in `records` (oldest first), judged against its own series.
    One pass: each series keeps the last `window` values of its RTO and of each step."""
    series: dict[tuple[str | None, tuple[str, str | None, str | None]], _History] = {}
    found: list[Regression] = []
    for record in records:
        history = series.setdefault((record.playbook, record.series), _History(rule))
        found.extend(history.judge(record))
    return found


class _History:
    def __init__(self, rule: RegressionRule) -> None:
        self.rule = rule
        self.values: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=rule.window))

    def judge(self, record: RunRecord) -> list[Regression]:
        figures = _figures(record)
        found = [r for what, value in figures.items()
                 if (r := self._compare(record.run_id, what, value)) is not None]
        for what, value in figures.items():
            self.values[what].append(value)
        return found

    def _compare(self, run_id: str, what: str, value: float) -> Regression | None:
        past = self.values.get(what)
        if past is None or len(past) < self.rule.min_history:
            return None
        p50 = nearest_rank(list(past), 50)
        assert p50 is not None
        if value > self.rule.factor * p50 and value - p50 > self.rule.min_seconds:
            return Regression(run_id, what, value, p50, len(past))
        return None


def _figures(record: RunRecord) -> dict[str, float]:
    """The run's RTO and each succeeded step's duration, where measured."""
    figures = {}
    if record.rto is not None and record.rto.seconds is not None:
        figures["RTO"] = record.rto.seconds
    for step in record.own_steps:
        if step.succeeded and step.seconds is not None and step.name not in figures:
            figures[step.name] = step.seconds
    return figures


def _secs(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else format_duration(seconds)
