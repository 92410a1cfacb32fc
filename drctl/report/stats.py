"""Nearest-rank percentiles: every figure a report shows is one some run actually measured."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The smallest value with at least `percent`% of the values at or below it (None: empty).

    p50 of [1, 2, 3, 4] is 2; p90 of ten values is the 9th smallest.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class FigureStats:
    """RTO or RPO over a group's runs: the newest measured value, p50, p90, worst."""

    target: float | None
    last: float | None
    p50: float | None
    p90: float | None
    worst: float | None
    measured: int  # runs the figures are taken from

    @classmethod
    def of(cls, values: Sequence[float], target: float | None) -> FigureStats:
        """`values` oldest first; the last is the newest."""
        return cls(target, values[-1] if values else None, nearest_rank(values, 50),
                   nearest_rank(values, 90), max(values) if values else None, len(values))
