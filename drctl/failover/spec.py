"""What one failover is about: the playbook, where traffic goes, and the operator's options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from drctl.aws.estate import Aws
from drctl.core.clock import Clock
from drctl.core.operator import Operator
from drctl.failover.approval import Person
from drctl.notify.base import Channel
from drctl.playbook.schema import Playbook
from drctl.report.records import RunRecord


@dataclass(frozen=True)
class FailoverOptions:
    yes: bool = False
    incident_start: datetime | None = None
    # Who gave `incident_start`: the operator (--incident-start), or the controller that saw
    # the region go dark with its alarms unreadable (journaled, so a report says which).
    incident_start_source: str = "operator"
    force: bool = False          # fail over despite failed pre-flight checks (journaled)
    approval: bool = False       # require a second person even if the playbook does not
    takeover: bool = False       # resume a run whose process on another host is gone
    # A planned switch whose replication lags beyond the RPO target waits this long for it to
    # catch up (0: it does not wait; at a terminal the operator is offered the wait).
    wait_replication: float = 0.0


@dataclass(frozen=True)
class FailoverSpec:
    playbook: Playbook
    playbook_path: str
    target_region: str
    failed_region: str
    options: FailoverOptions = FailoverOptions()
    # TARGET already took the traffic in a failover that ended half way: finish its job.
    finishing: bool = False

    @property
    def endpoint(self) -> str:
        return self.playbook.regions[self.target_region].endpoint

    @property
    def replica(self) -> str | None:
        """The database this failover promotes in the target region, if any."""
        promote = self.playbook.scale.rds_promote
        return promote.replicas.get(self.target_region) if promote else None


@dataclass
class FailoverDeps:
    """The collaborators a failover's steps use; built once by the CLI, fakes in tests."""

    aws: Aws
    clock: Clock
    operator: Operator
    # region -> (channels that notify through it, notes on channels skipped)
    channels: Callable[[str], tuple[list[Channel], list[str]]]
    # earlier failovers, oldest first: the notify step's summary flags regressions against them
    history: Callable[[], list[RunRecord]] = field(default=lambda: [])
    # Who executes the run, for approvals (default: this OS user and AWS caller). The
    # controller is not a person: any person may approve the failover it opens.
    executor: Person | None = None
    # Smoke tests and the pre-flight's health check go through it (a test injects one with
    # httpx.MockTransport; the CLI passes its application's client).
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
