"""A failover step journals its changes in batches (issue 15): all `change_started` of a step
in one store write before the first AWS call that makes one (DESIGN.md's write-ahead rule),
and the applied ones in one write after the calls -- not two fsync'ed appends per change
(~800 at 203 services). On the fake `Aws`, whose hooks run right after each mutating call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from drctl.aws.fake import FakeAws
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import AwsError
from drctl.core.events import Event
from drctl.core.run import RunStatus
from drctl.core.store import load_run
from drctl.failover.runner import run_failover
from drctl.failover.spec import FailoverOptions
from drctl.playbook.schema import Playbook
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.fake_estate import WEST, Web
from tests.unit.helpers import T0


class WritesStore(MemoryStore):
    """The in-memory store, keeping the event types of each write (one transaction each)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[tuple[str, str | None]]] = []

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        self.writes.append([(e.type, e.step) for e in events])
        return super().append_many(events)

    def changes(self, type_: str, step: str) -> list[str]:
        return [e.data["target"] for rid in self.run_ids() for e in self.events(rid)
                if (e.type, e.step) == (type_, step)]


@pytest.fixture
def playbook(tmp_path: Path) -> Playbook:
    return fake_estate.playbook(tmp_path)


def test_each_step_journals_its_changes_started_before_its_calls_in_one_write(
        playbook: Playbook) -> None:
    estate = fake_estate.estate(T0, lag=4.0)
    clock, store = FakeClock(T0), WritesStore()
    seen: dict[str, list[tuple[list[str], list[str]]]] = {}

    def at_call(call: str, step: str) -> None:
        # Right after the AWS call: what the journal held when it was made.
        seen.setdefault(call, []).append((store.changes("change_started", step),
                                          store.changes("change_applied", step)))

    for call, step in (("route53.upsert", "switch_dns"), ("ecs.scale_service",
                       "scale_secondary"), ("autoscaling.set_desired", "scale_secondary"),
                       ("rds.promote", "scale_secondary")):
        estate.after(call, lambda call=call, step=step: at_call(call, step))
    deps = fake_estate.deps(FakeAws(estate), clock, Web(), playbook)

    run = run_failover(playbook, "app.yaml", WEST, deps, Engine(store, clock),
                       FailoverOptions(yes=True))

    assert run.status is RunStatus.SUCCEEDED
    scaled = ["app/api", "app/worker", "app-workers", "app-db-replica"]
    assert seen["route53.upsert"] == [(["api.app.test [us-east-1]", "api.app.test [us-west-2]"],
                                       [])]
    for call in ("ecs.scale_service", "autoscaling.set_desired", "rds.promote"):
        for started, _applied in seen[call]:
            assert sorted(started) == sorted(scaled), call  # every one, before any call
    assert sum(len(seen[c]) for c in seen) == 1 + 4  # each change was made once
    batches = [w for w in store.writes if w[0][0] in ("change_started", "change_applied")]
    assert batches == [
        [("change_started", "switch_dns")] * 2, [("change_applied", "switch_dns")] * 2,
        [("change_started", "scale_secondary")] * 4,
        *[[("change_applied", "scale_secondary")] * n
          for n in _applied_writes(store)]]
    assert store.changes("change_applied", "scale_secondary") == scaled  # in the plan's order


def _applied_writes(store: WritesStore) -> list[int]:
    """The sizes of the writes of scale_secondary's applied changes (one, or one per wait on a
    call still running when the earlier ones were done): together, the four changes once."""
    sizes = [len(w) for w in store.writes if w[0] == ("change_applied", "scale_secondary")]
    assert sum(sizes) == 4 and all(sizes)
    return sizes


def test_a_call_that_fails_leaves_its_change_started_and_the_others_applied(
        playbook: Playbook) -> None:
    estate = fake_estate.estate(T0, lag=4.0)
    clock, store = FakeClock(T0), WritesStore()

    def refuse() -> None:  # Auto Scaling refuses: nothing changed, at every attempt
        estate.groups[WEST]["app-workers"] = before
        raise AwsError("Auto Scaling said no")

    before = estate.groups[WEST]["app-workers"]

    estate.after("autoscaling.set_desired", refuse)
    deps = fake_estate.deps(FakeAws(estate), clock, Web(), playbook)

    with pytest.raises(AwsError, match="said no"):
        run_failover(playbook, "app.yaml", WEST, deps, Engine(store, clock),
                     FailoverOptions(yes=True))

    [run_id] = store.run_ids()
    changes = {c["target"]: c["status"] for c in load_run(store, run_id).changes
               if c["step"] == "scale_secondary"}
    assert changes == {"app/api": "applied", "app/worker": "applied",
                       "app-workers": "started", "app-db-replica": "applied"}
