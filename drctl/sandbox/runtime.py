"""The running sandbox: every part wired together, and the control operations on it.

Start order matters: fidelity fixes before moto answers; moto and the apps before seeding (the
health checks need the apps' ports); the replicator's baseline before the first heartbeat; the
state file last, because its existence is the manager's signal that the sandbox is ready.

Ready means steady state, not merely started: a heartbeat of the active region has replicated
to the other region and the alarms have been evaluated once. Before that, a failover would find
no heartbeat to measure its RPO by, and a chaos experiment's steady-state probe would fail.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from werkzeug.wrappers import Request

from drctl.aws.clients import ClientFactory
from drctl.core.errors import InvalidInput
from drctl.sandbox import scan_pages
from drctl.sandbox.alarms import AlarmEvaluator
from drctl.sandbox.apps import HeartbeatWriter, MediaWriter, RegionalApp
from drctl.sandbox.conditions import Conditions
from drctl.sandbox.control import ControlApi
from drctl.sandbox.ecs_scheduler import EcsScheduler
from drctl.sandbox.estate import PRIMARY, REGIONS, SECONDARY, media_bucket
from drctl.sandbox.fault_injector import FaultInjector
from drctl.sandbox.faults import INTERNAL_AGENT, FaultSettings
from drctl.sandbox.fidelity import apply_fidelity_fixes
from drctl.sandbox.files import SandboxFiles, write_atomically
from drctl.sandbox.replicator import ReplicaLagPublisher, Replicator
from drctl.sandbox.s3_replication import ReplicationLatencyPublisher, S3Replicator
from drctl.sandbox.scaled_estate import ScaledEstate, seed_scaled
from drctl.sandbox.seed import seed_estate
from drctl.sandbox.server import MotoServer
from drctl.sandbox.traffic import TrafficWatcher

log = structlog.get_logger(__name__)

# How long steady state may take beyond the replication lag (a heartbeat a second, replication
# polled several times a second: a few seconds, more on a busy machine).
SETTLE_MARGIN = 60.0


class EmbeddedSandbox:
    """Implements `control.SandboxControl` for the control API."""

    def __init__(
        self, files: SandboxFiles, port: int, replication_lag: float,
        faults: FaultSettings | None = None, estate_size: int = 0,
    ) -> None:
        self.files = files
        self.scaled = ScaledEstate(estate_size)
        self.conditions = Conditions(REGIONS, replication_lag)
        self.started_at = datetime.now(UTC).isoformat()
        self.fixes = apply_fidelity_fixes()
        self.faults = FaultInjector()
        self.faults.configure(faults or FaultSettings())
        self._traffic: TrafficWatcher | None = None
        self.moto = MotoServer(port, interceptors=[ControlApi(self), self.faults],
                               after=[self._after_request])
        self.apps = {region: RegionalApp(region, self.conditions) for region in REGIONS}
        self.s3_replicator = S3Replicator(self.conditions,
                                          {media_bucket(r): r for r in REGIONS})
        self.seeded: dict[str, Any] = {}
        self._running: list[Any] = []  # started parts, stopped in reverse
        self._replicators: list[Replicator] = []
        self._evaluator: AlarmEvaluator | None = None

    def start(self) -> None:
        began = time.monotonic()
        self._start(self.moto)
        _point_aws_clients_at(self.moto.endpoint_url)
        # The sandbox's own calls are marked so that injected faults never touch them.
        clients = ClientFactory(user_agent_extra=INTERNAL_AGENT)
        for app in self.apps.values():
            self._start(app)
        self.s3_replicator.listen()  # before seeding: the seeded objects replicate too
        self.seeded = seed_estate(clients, {r: app.port for r, app in self.apps.items()})
        self.seeded["scaled"] = seed_scaled(
            clients, self.scaled, self.seeded["route53"]["zone_id"],
            {r: self.seeded["regions"][r]["autoscaling"]["subnet_id"] for r in REGIONS})
        self._start_background(clients)
        self._settle(SETTLE_MARGIN + self.conditions.replication_lag)
        self._write_state()
        log.info("sandbox_ready", endpoint=self.moto.endpoint_url, seconds=time.monotonic() - began)

    def steady(self) -> bool:
        """A heartbeat of the active region has replicated, and the alarms were evaluated."""
        if self._evaluator is None or self._evaluator.rounds < 1:
            return False
        return any(r.delivered_a_beat for r in self._replicators
                   if r.source == self.conditions.active)

    def _settle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.steady():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no steady state after {timeout:.0f} s: no heartbeat "
                                   "replicated yet, or the alarms were never evaluated")
            time.sleep(0.05)

    def _start_background(self, clients: ClientFactory) -> None:
        dynamodb = {region: clients.client("dynamodb", region) for region in REGIONS}
        cloudwatch = {region: clients.client("cloudwatch", region) for region in REGIONS}
        for source, target in ((PRIMARY, SECONDARY), (SECONDARY, PRIMARY)):
            replicator = Replicator(dynamodb[source], dynamodb[target], self.conditions,
                                    (source, target),
                                    version=partial(scan_pages.version, source))
            replicator.baseline()
            self._start(replicator)
            self._replicators.append(replicator)
            self._start(HeartbeatWriter(source, dynamodb[source], self.conditions,
                                        on_write=replicator.enqueue))
            self._start(MediaWriter(source, clients.client("s3", source), self.conditions))
        self._start(self.s3_replicator)
        self._traffic = TrafficWatcher(clients.client("route53", PRIMARY), self.conditions)
        self._start(self._traffic)
        # After seeding and before the sandbox says it is ready: the seeded services have
        # their tasks by the time anyone can look.
        self._start(EcsScheduler(REGIONS))
        rds = {region: clients.client("rds", region) for region in REGIONS}
        self._start(ReplicaLagPublisher(rds, cloudwatch, self.conditions))
        self._start(ReplicationLatencyPublisher(cloudwatch, self.conditions))
        self._evaluator = AlarmEvaluator(cloudwatch, {r: a.url for r, a in self.apps.items()})
        self._start(self._evaluator)

    def _after_request(self, request: Request) -> None:
        if self._traffic is not None:
            self._traffic.after_request(request)

    def _start(self, part: Any) -> None:
        part.start()
        self._running.append(part)

    def stop(self) -> None:
        """Stop everything that started, newest first, and withdraw the state file."""
        self.files.remove(self.files.state)
        while self._running:
            part = self._running.pop()
            try:
                part.stop()
            except Exception as exc:  # stop the rest regardless
                log.warning("stop_failed", part=type(part).__name__, error=str(exc))
        # Again: a control request racing the shutdown may have rewritten it.
        self.files.remove(self.files.state)
        log.info("sandbox_stopped")

    # -- control operations (control.SandboxControl) --

    def document(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "endpoint_url": self.moto.endpoint_url,
            "regions": {"primary": PRIMARY, "secondary": SECONDARY},
            "apps": {region: app.url for region, app in self.apps.items()},
            "replication_lag_seconds": self.conditions.replication_lag,
            "estate_size": self.scaled.services,
            "active_region": self.conditions.active,
            "last_cut": cut.as_dict() if (cut := self.conditions.last_cut) else None,
            "outages": {r: o.as_dict() for r, o in self.conditions.outages().items()},
            "started_at": self.started_at,
            "ready": self.steady(),
            "alarm_evaluations": self._evaluator.rounds if self._evaluator else 0,
            "seeded": self.seeded,
            "fidelity_fixes": self.fixes,
            "s3_replication": {"pending": self.s3_replicator.pending(),
                               "delivered": self.s3_replicator.delivered,
                               "last_cut": self.s3_replicator.last_cut,
                               "buckets": self.s3_replicator.truth()},
            "faults": self.faults.document(),
        }

    def outage(self, region: str) -> dict[str, Any]:
        evaluator = self._ready()
        leaving = [r for r in self._replicators if r.source == region]
        for replicator in leaving:
            # What was due by now had crossed already (the loop may lag on a busy machine);
            # only what was still in flight is lost.
            replicator.apply_due()
        self.s3_replicator.apply_due()
        outage = self.conditions.begin_outage(region)
        for replicator in leaving:
            log.info("replication_lost", items=replicator.drop_pending(), source=region)
        log.info("s3_replication_lost", versions=self.s3_replicator.drop_pending(region),
                 source=region)
        alarms = evaluator.evaluate()
        log.info("outage_started", region=region, started_at=outage.started_at, alarms=alarms)
        return self._write_state()

    def restore(self, region: str) -> dict[str, Any]:
        evaluator = self._ready()
        ended = self.conditions.end_outage(region)
        alarms = evaluator.evaluate()
        log.info("outage_ended", region=region, was_down=ended is not None, alarms=alarms)
        return self._write_state()

    def set_replication_lag(self, seconds: float) -> dict[str, Any]:
        self.conditions.set_replication_lag(seconds)
        log.info("replication_lag_set", seconds=self.conditions.replication_lag)
        return self._write_state()

    def set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        self.faults.configure(FaultSettings.from_dict(body))
        log.info("faults_set", **body)
        return self._write_state()

    def clear_faults(self) -> dict[str, Any]:
        self.faults.configure(FaultSettings())
        log.info("faults_cleared")
        return self._write_state()

    def _ready(self) -> AlarmEvaluator:
        if not self._replicators or self._evaluator is None:
            raise InvalidInput("the sandbox is still starting; try again when it is ready")
        return self._evaluator

    def _write_state(self) -> dict[str, Any]:
        document = self.document()
        write_atomically(self.files.state, json.dumps(document, indent=2, default=str))
        return document


def _point_aws_clients_at(endpoint_url: str) -> None:
    """Every boto3 client in this process talks to the embedded AWS, with dummy credentials:
    the supervisor must never reach a real account, whatever the operator's shell holds."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=PRIMARY,
        NO_PROXY="127.0.0.1,localhost",
    )
