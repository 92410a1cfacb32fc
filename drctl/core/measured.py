"""What a run measured: each kind's figures are a typed object, journaled in `run_measured`.

The engine takes a `measure(run) -> Measured` function and journals `to_dict()`; the fold
(`Run.from_events`) keeps that document as `run.measurement`, and each kind reads it back into
its own type (`FailoverFigures.from_run`, `DrillFigures.from_run`, `ChaosVerdict...`). The
documented `runs show --json` fields are exactly `to_dict()`'s keys, at the top level.
"""

from __future__ import annotations

from typing import Any, Protocol


class Measured(Protocol):
    def to_dict(self) -> dict[str, Any]: ...
