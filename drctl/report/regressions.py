"""Recovery getting slower, seen before it misses a target.

A run regressed when its RTO, or one of its steps, took more than `factor` times the p50 of the
previous `window` comparable runs (same playbook and kind; for drills also the same target and
drill kind) *and* more than `min_seconds` longer -- the second condition keeps a 0.2 s step that
took 0.5 s from crying wolf. Fewer than `min_history` earlier runs: not judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
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
    """Regressions of every run in `records` (oldest first), judged against its own series."""
    series: dict[tuple[str | None, tuple[str, str | None, str | None]], list[RunRecord]]
    series = defaultdict(list)
    for record in records:
        series[(record.playbook, record.series)].append(record)
    found: list[Regression] = []
    for runs in series.values():
        for index, record in enumerate(runs):
            found.extend(_judge(record, runs[:index], rule))
    return found


def _judge(record: RunRecord, earlier: list[RunRecord], rule: RegressionRule
           ) -> list[Regression]:
    checks: list[tuple[str, Callable[[RunRecord], float | None]]] = [("RTO", _rto)]
    checks += [(s.name, _step(s.name)) for s in record.steps if s.succeeded]
    found = []
    for what, figure in checks:
        regression = _compare(record, what, figure, earlier, rule)
        if regression is not None:
            found.append(regression)
    return found


def _compare(record: RunRecord, what: str, figure: Callable[[RunRecord], float | None],
             earlier: list[RunRecord], rule: RegressionRule) -> Regression | None:
    value = figure(record)
    history = [v for v in (figure(r) for r in earlier) if v is not None][-rule.window:]
    if value is None or len(history) < rule.min_history:
        return None
    p50 = nearest_rank(history, 50)
    assert p50 is not None
    if value > rule.factor * p50 and value - p50 > rule.min_seconds:
        return Regression(record.run_id, what, value, p50, len(history))
    return None


def _rto(record: RunRecord) -> float | None:
    return record.rto.seconds if record.rto else None


def _step(name: str) -> Callable[[RunRecord], float | None]:
    return lambda record: record.step_seconds(name)


def _secs(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else format_duration(seconds)
