"""The conditions the sandbox injects: regional outages and the replication lag.

One thread-safe object read by the apps, the replicator and the alarm evaluator, and changed by the
control API. It is also the ground truth tests compare drctl's measurements against, so it records
when each outage began, to the wall clock, at the moment the outage was declared, and what each
switch of the active region cut off (`last_cut`).

The switch of the active region is a *cut*: the moment the new region stops receiving replication
from the old one. Whatever writes in a region or delivers into it because a region is active does
so under `switching()`, the lock `set_active` holds while it switches and tells its listeners, so
nothing is written or delivered on the wrong side of the cut.
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


@dataclass(frozen=True)
class Cut:
    """One switch of the active region, as the sandbox saw it: the newest heartbeat the old
    region had written, and the newest of those that had reached the new region, at the cut."""

    from_region: str
    to_region: str
    at_epoch: float
    newest_write_epoch: float | None
    newest_arrived_epoch: float | None

    @property
    def lost_seconds(self) -> float | None:
        if self.newest_write_epoch is None or self.newest_arrived_epoch is None:
            return None
        return round(max(0.0, self.newest_write_epoch - self.newest_arrived_epoch), 3)

    def as_dict(self) -> dict[str, str | float | None]:
        return {"from": self.from_region, "to": self.to_region, "at": _iso(self.at_epoch),
                "newest_write_at": _iso(self.newest_write_epoch),
                "newest_arrived_at": _iso(self.newest_arrived_epoch),
                "lost_seconds": self.lost_seconds}


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


SwitchListener = Callable[[str, str, float], Cut | None]


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
        self._switch = threading.RLock()
        self._listeners: list[SwitchListener] = []
        self._last_cut: Cut | None = None

    @property
    def active(self) -> str:
        """The region taking the traffic (writing heartbeats, replicating out)."""
        with self._lock:
            return self._active

    def set_active(self, region: str) -> bool:
        """Make `region` the active one; True if that changed anything. A change is a cut:
        every listener is told (old, new, when) under `switching()`, and the cut a listener
        returns is kept as `last_cut`."""
        self._check_region(region)
        with self._switch:
            with self._lock:
                old, self._active = self._active, region
            if old == region:
                return False
            at = self._clock()
            for listener in list(self._listeners):
                cut = listener(old, region, at)
                if cut is not None:
                    with self._lock:
                        self._last_cut = cut
            return True

    def switching(self) -> threading.RLock:
        """Held while writing or delivering because a region is active (see the module doc)."""
        return self._switch

    def on_switch(self, listener: SwitchListener) -> None:
        self._listeners.append(listener)

    @property
    def last_cut(self) -> Cut | None:
        with self._lock:
            return self._last_cut

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
