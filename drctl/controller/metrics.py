"""The controller's Prometheus metrics (prometheus-client), in a registry of its own.

    drctl_is_leader                                   1 while this controller holds the lease
    drctl_runs_total{kind,status}                     runs this controller ended
    drctl_last_rto_seconds{playbook,kind}             the newest measured RTO / RPO
    drctl_last_rpo_seconds{playbook,kind}
    drctl_schedule_next_fire_timestamp_seconds{schedule}
    drctl_schedule_last_success{schedule}             1 if the newest fire passed, else 0
    drctl_replication_lag_seconds{from,to}            the RPO canary's live replication lag

Run metrics come from the engine's event stream (`MetricsEvents`, one more subscriber).
"""

from __future__ import annotations

import threading
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from drctl.core.events import Event
from drctl.core.figures import Figures, read_figures


class ControllerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.is_leader = Gauge("drctl_is_leader", "1 while this controller leads", registry=r)
        self.runs = Counter("drctl_runs", "Runs this controller ended", ["kind", "status"],
                            registry=r)
        self.rto = Gauge("drctl_last_rto_seconds", "Newest measured RTO", ["playbook", "kind"],
                         registry=r)
        self.rpo = Gauge("drctl_last_rpo_seconds", "Newest measured RPO", ["playbook", "kind"],
                         registry=r)
        self.next_fire = Gauge("drctl_schedule_next_fire_timestamp_seconds",
                               "Next nominal fire time", ["schedule"], registry=r)
        self.last_success = Gauge("drctl_schedule_last_success",
                                  "1 if the newest fire passed", ["schedule"], registry=r)
        self.lag = Gauge("drctl_replication_lag_seconds", "Replication lag read from the canary",
                         ["from", "to"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def schedule(self, key: str, next_fire: datetime | None, last_result: str | None) -> None:
        if next_fire is not None:
            self.next_fire.labels(key).set(next_fire.timestamp())
        if last_result is not None:
            self.last_success.labels(key).set(1.0 if last_result == "passed" else 0.0)


class MetricsEvents:
    """An engine subscriber: counts runs as they end and keeps the newest RTO/RPO."""

    def __init__(self, metrics: ControllerMetrics) -> None:
        self.metrics = metrics
        self._runs: dict[str, tuple[str, str]] = {}   # run id -> (kind, playbook)
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if event.type == "run_started":
                params = event.data.get("params") or {}
                self._runs[event.run_id] = (str(event.data.get("kind")),
                                            str(params.get("playbook", "")))
            kind, playbook = self._runs.get(event.run_id, ("?", ""))
            if event.type == "run_measured":
                self._measured(kind, playbook,
                               read_figures(kind, event.data.get("measurement") or {}))
            elif event.type == "run_finished":
                self.metrics.runs.labels(kind, str(event.data.get("status"))).inc()
                self._runs.pop(event.run_id, None)
            elif event.type == "run_interrupted":
                self.metrics.runs.labels(kind, "interrupted").inc()

    def _measured(self, kind: str, playbook: str, figures: Figures | None) -> None:
        """The newest figures a run of `kind` measured (an unmeasured one leaves the last)."""
        recovery = figures.recovery if figures is not None else None
        if recovery is None:
            return
        if recovery.rto_seconds is not None:
            self.metrics.rto.labels(playbook, kind).set(float(recovery.rto_seconds))
        if recovery.rpo is not None:
            self.metrics.rpo.labels(playbook, kind).set(float(recovery.rpo.seconds))
