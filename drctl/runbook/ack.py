"""`drctl runbook ack`: a person acknowledges, from any shell, the manual step a run waits at."""

from __future__ import annotations

from drctl.core.clock import Clock
from drctl.core.errors import InvalidInput
from drctl.core.events import Event
from drctl.core.run import Run, StepStatus
from drctl.core.vocabulary import checked_event
from drctl.failover.approval import Person
from drctl.runbook.actions.human import ACKED, find_ack
from drctl.runbook.runner import KIND
from drctl.store.base import Store, load_run


def acknowledge(store: Store, clock: Clock, run_id: str, person: Person, note: str) -> Event:
    """Journal the acknowledgement of the manual step run `run_id` waits at (it continues on
    its next poll). InvalidInput when the run is not a runbook run waiting at a manual step."""
    run = load_run(store, run_id)
    if run.kind != KIND:
        raise InvalidInput(f"run {run.run_id} is a {run.kind}, not a runbook run")
    events = store.events(run.run_id)
    waits = [e for e in events if e.type == "run_waiting"]
    step = waits[-1].step if waits and waits[-1].data.get("reason") == "manual" else None
    status = run.effective_status
    if (step is None or status.finished or run.step(step).status is not StepStatus.RUNNING
            or find_ack(events, step) is not None):
        raise InvalidInput(f"run {run.run_id} is not waiting at a manual step (status "
                           f"{status})", hint=_what_it_waits_for(run, waits))
    return store.append(checked_event(run.run_id, ACKED, clock.now(), step,
                                      {"by": person.to_dict(), "note": note,
                                       "via": "drctl runbook ack"}))


def _what_it_waits_for(run: Run, waits: list[Event]) -> str:
    """The command that does continue the run: an approval is another person's decision."""
    wait = waits[-1] if waits else None
    if wait is not None and wait.data.get("reason") == "approval" \
            and not run.effective_status.finished \
            and run.step(wait.step or "").status is StepStatus.RUNNING:
        return (f"it waits for an approval at step {wait.step}: another person runs "
                f"`drctl approve {run.run_id}` (or `drctl reject {run.run_id} --reason …`)")
    return f"see `drctl runbook timeline {run.run_id}`"
