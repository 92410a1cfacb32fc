"""S3 cross-region replication with the injected lag, as the DynamoDB replicator does for tables.

moto's S3 (with the fidelity fix in `fidelity_s3`) tells this replicator of every object version
written under a replication rule. A version is delivered `lag` seconds after its LastModified
(the lag in force when it is checked). While the source bucket's region is down nothing leaves
it, and what was still queued when the region went down is lost -- as with the heartbeats, that
is the data a failover's S3 recovery point must account for. While the destination's region is
down, versions wait (AWS retries replication until the destination answers).

When the traffic moves (the sandbox follows DNS), the region it left stops replicating out at
that cut, as the heartbeat table does: the recovery point is taken when the target stops
receiving replication, and what was still queued then is what the switch lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.estate import media_bucket, media_replication_rule
from drctl.sandbox.fidelity_s3 import VersionWritten, deliver, set_replication_sink
from drctl.sandbox.periodic import Periodic

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
        self.last_cut: dict[str, object] | None = None
        # Ground truth per source bucket, as the heartbeat replicator keeps for its cut: the
        # newest version written, the newest delivered, and how many an outage or cut lost.
        self._truth: dict[str, dict[str, float]] = {}
        conditions.on_switch(self._on_switch)

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
            self._record(written.source_bucket, "newest_write_at", written.written_at)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def drop_pending(self, region: str) -> int:
        """Lose what `region`'s buckets had not sent yet, as a failed region does."""
        with self._lock:
            kept = [w for w in self._pending if self._regions.get(w.source_bucket) != region]
            for lost in (w for w in self._pending if w not in kept):
                truth = self._truth.setdefault(lost.source_bucket, {})
                truth["versions_lost"] = truth.get("versions_lost", 0) + 1
            dropped, self._pending = len(self._pending) - len(kept), kept
        return dropped

    def truth(self) -> dict[str, dict[str, object]]:
        """Per source bucket: newest_write_at, newest_delivered_at (ISO 8601, the versions'
        LastModified to the microsecond) and versions_lost (by outages and cuts, in all)."""
        with self._lock:
            return {bucket: {k: (_iso(v) if k.endswith("_at") else int(v))
                             for k, v in sorted(facts.items())}
                    for bucket, facts in self._truth.items()}

    def _record(self, bucket: str, fact: str, at: float) -> None:
        facts = self._truth.setdefault(bucket, {})
        facts[fact] = max(facts.get(fact, at), at)

    def apply_due(self) -> int:
        """Deliver every version whose lag has passed; returns how many were delivered."""
        cutoff = self._clock() - self._conditions.replication_lag
        with self._lock:
            due = [w for w in self._pending if w.written_at <= cutoff and self._sendable(w)]
            self._pending = [w for w in self._pending if w not in due]
        due.sort(key=lambda w: w.written_at)
        arrived = [written for written in due if deliver(written)]
        with self._lock:
            for written in arrived:
                self._record(written.source_bucket, "newest_delivered_at", written.written_at)
        self.delivered += len(arrived)
        return len(arrived)

    def _sendable(self, written: VersionWritten) -> bool:
        return not self._down(written.source_bucket) and not self._down(
            written.destination_bucket)

    def _down(self, bucket: str) -> bool:
        region = self._regions.get(bucket)
        return region is not None and self._conditions.is_down(region)

    def cut(self, region: str) -> int:
        """Replication out of `region` stops now: deliver what is due, lose the rest."""
        self.apply_due()
        dropped = self.drop_pending(region)
        self.last_cut = {"region": region, "at_epoch": self._clock(), "versions_lost": dropped}
        log.info("s3_replication_cut", **self.last_cut)
        return dropped

    def _on_switch(self, old: str, new: str, at: float) -> None:
        """The conditions' switch listener: the cut happens at the DNS change itself (the
        heartbeat replicator's `last_cut` is the recorded ground truth; this follows it)."""
        self.cut(old)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                for region in self._conditions.outages():
                    self.drop_pending(region)
                self.apply_due()
            except Exception as exc:  # one bad round must not end replication
                log.warning("s3_replication_round_failed", error=str(exc))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds")


class ReplicationLatencyPublisher(Periodic):
    """Publishes `AWS/S3 ReplicationLatency` for the media buckets' rules, as S3 does with
    Replication Time Control on: in the source bucket's region, per rule, with the injected lag.
    Only the bucket of the region taking the traffic has writes to replicate, and a region that
    is down publishes nothing, so the last datapoint is the lag at the failure."""

    name = "s3-replication-latency"

    def __init__(self, cloudwatch: dict[str, Any], conditions: Conditions,
                 interval: float = 5.0) -> None:
        super().__init__(interval, tick_at_start=True)
        self._cloudwatch = cloudwatch
        self._conditions = conditions

    def tick(self) -> None:
        source = self._conditions.active
        if self._conditions.is_down(source):
            return
        for target in self._cloudwatch:
            if target != source:
                self._publish(source, target)

    def _publish(self, source: str, target: str) -> None:
        dimensions = {"SourceBucket": media_bucket(source),
                      "DestinationBucket": media_bucket(target),
                      "RuleId": media_replication_rule(target)}
        self._cloudwatch[source].put_metric_data(Namespace="AWS/S3", MetricData=[{
            "MetricName": "ReplicationLatency", "Unit": "Seconds",
            "Value": self._conditions.replication_lag,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}])
