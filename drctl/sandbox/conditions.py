"""The conditions the sandbox injects: regional outages and the replication lag.

One thread-safe object read by the apps, the replicator and the alarm evaluator, and changed by the
control API. It is also the ground truth tests compare drctl's measurements against, so it records
when each outage began, to the wall clock, at the moment the outage was declared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from drctl.core.errors import InvalidInput


@dataclass(frozen=True)
class Outage:
    region: str
    started_at_epoch: float

    @property
    def started_at(self) -> str:
        return datetime.fromtimestamp(self.started_at_epoch, UTC).isoformat()

    def as_dict(self) -> dict[str, str | float]:
        return {"started_at": self.started_at, "started_at_epoch": self.started_at_epoch}


class Conditions:
    """Outages per region and the replication lag. All methods are thread-safe."""

    def __init__(
        self,
        regions: tuple[str, ...],
        replication_lag: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.regions = regions
        self._clock = clock
        self._lock = threading.Lock()
        self._outages: dict[str, Outage] = {}
        self._lag = self._valid_lag(replication_lag)
        self._active = regions[0]

    @property
    def active(self) -> str:
        """The region taking the traffic (writing heartbeats, replicating out)."""
        with self._lock:
            return self._active

    def set_active(self, region: str) -> bool:
        """Make `region` the active one; True if that changed anything."""
        self._check_region(region)
        with self._lock:
            changed, self._active = self._active != region, region
            return changed

    def begin_outage(self, region: str) -> Outage:
        """Take `region` down. Idempotent: a region already down keeps its original start."""
        self._check_region(region)
        with self._lock:
            if region not in self._outages:
                self._outages[region] = Outage(region, self._clock())
            return self._outages[region]

    def end_outage(self, region: str) -> Outage | None:
        """Bring `region` back; returns the outage that ended, None if it was not down."""
        self._check_region(region)
        with self._lock:
            return self._outages.pop(region, None)

    def is_down(self, region: str) -> bool:
        with self._lock:
            return region in self._outages

    def outages(self) -> dict[str, Outage]:
        with self._lock:
            return dict(self._outages)

    @property
    def replication_lag(self) -> float:
        with self._lock:
            return self._lag

    def set_replication_lag(self, seconds: float) -> None:
        lag = self._valid_lag(seconds)
        with self._lock:
            self._lag = lag

    def _check_region(self, region: str) -> None:
        if region not in self.regions:
            raise InvalidInput(
                f"unknown sandbox region {region!r}; the sandbox has {', '.join(self.regions)}"
            )

    @staticmethod
    def _valid_lag(seconds: float) -> float:
        try:
            lag = float(seconds)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"replication lag must be a number, not {seconds!r}") from exc
        if not 0 <= lag <= 86_400:
            raise InvalidInput(f"replication lag must be between 0 and 86400 s, not {lag}")
        return lag
