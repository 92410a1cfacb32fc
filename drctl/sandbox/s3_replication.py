"""S3 cross-region replication with the injected lag, as the DynamoDB replicator does for tables.

moto's S3 (with the fidelity fix in `fidelity_s3`) tells this replicator of every object version
written under a replication rule. A version is delivered `lag` seconds after its LastModified
(the lag in force when it is checked). While the source bucket's region is down nothing leaves
it, and what was still queued when the region went down is lost -- as with the heartbeats, that
is the data a failover's S3 recovery point must account for. While the destination's region is
down, versions wait (AWS retries replication until the destination answers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.fidelity_s3 import VersionWritten, deliver, set_replication_sink

log = structlog.get_logger(__name__)


class S3Replicator:
    """Delivers replicated object versions between the sandbox's buckets."""

    def __init__(
        self, conditions: Conditions, bucket_regions: dict[str, str],
        clock: Callable[[], float] = time.time, interval: float = 0.1,
    ) -> None:
        self._conditions = conditions
        self._regions = dict(bucket_regions)
        self._clock = clock
        self._interval = interval
        self._pending: list[VersionWritten] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-replicator", daemon=True)
        self.delivered = 0

    def listen(self) -> None:
        """Receive writes from now on (before seeding, so seeded objects replicate too)."""
        set_replication_sink(self.enqueue)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        set_replication_sink(None)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def enqueue(self, written: VersionWritten) -> None:
        if self._down(written.source_bucket):
            return  # a region that is down writes nothing out
        with self._lock:
            self._pending.append(written)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def drop_pending(self, region: str) -> int:
        """Lose what `region`'s buckets had not sent yet, as a failed region does."""
        with self._lock:
            kept = [w for w in self._pending if self._regions.get(w.source_bucket) != region]
            dropped, self._pending = len(self._pending) - len(kept), kept
        return dropped

    def apply_due(self) -> int:
        """Deliver every version whose lag has passed; returns how many were delivered."""
        cutoff = self._clock() - self._conditions.replication_lag
        with self._lock:
            due = [w for w in self._pending if w.written_at <= cutoff and self._sendable(w)]
            self._pending = [w for w in self._pending if w not in due]
        due.sort(key=lambda w: w.written_at)
        delivered = sum(1 for written in due if deliver(written))
        self.delivered += delivered
        return delivered

    def _sendable(self, written: VersionWritten) -> bool:
        return not self._down(written.source_bucket) and not self._down(
            written.destination_bucket)

    def _down(self, bucket: str) -> bool:
        region = self._regions.get(bucket)
        return region is not None and self._conditions.is_down(region)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                for region in self._conditions.outages():
                    self.drop_pending(region)
                self.apply_due()
            except Exception as exc:  # one bad round must not end replication
                log.warning("s3_replication_round_failed", error=str(exc))
