"""Approval by a second person: the run waits at `confirm` until someone else says yes.

A person is the OS user (as `getpass.getuser()` reports it) together with the AWS caller
identity; a different value of either is a different person. Decisions are journal events of
the waiting run (`approval_granted` / `approval_rejected`), so they survive a crash of either
process and are the audit trail of who approved and when.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict, dataclass
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.clock import Clock, iso
from drctl.core.durations import format_duration
from drctl.core.errors import AwsError, Blocked, InvalidInput, NotConfirmed, StepFailed
from drctl.core.events import Event
from drctl.core.run import RunStatus, StepStatus
from drctl.core.step import StepContext
from drctl.notify.base import Channel, Notification
from drctl.store.base import Store, load_run

DECISIONS = ("approval_granted", "approval_rejected")


@dataclass(frozen=True)
class Person:
    user: str
    aws: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def describe(self) -> str:
        return f"{self.user} ({self.aws})"


def current_person(aws: Aws) -> Person:
    try:
        arn = aws.sts().caller_arn()
    except AwsError:
        arn = "unknown AWS identity"
    return Person(getpass.getuser(), arn)


def wait_for_approval(
    ctx: StepContext, executor: Person, timeout: float, channels: list[Channel], target: str,
    step: str = "confirm", what: str | None = None,
) -> dict[str, Any]:
    """Journal the wait (at `step`), notify, and poll the journal for a decision. NotConfirmed
    on a rejection or when `timeout` passes; returns who approved and when. `what` names the
    run in notifications (default: a failover to `target`)."""
    assert ctx.journal is not None, "approval needs the run's journal"
    decision = _decision(ctx.journal.events())
    if decision is None:
        ctx.journal.emit("run_waiting", reason="approval", executor=executor.to_dict(),
                         step=step)
        _announce(ctx.run_id, what or f"failover to {target}", target, channels)
        ctx.report(f"waiting for approval: `drctl approve {ctx.run_id}` from another person")
        journal = ctx.journal
        try:
            ctx.wait_until(lambda: _decision(journal.events()) is not None,
                           timeout=timeout, interval=1.0, what="a second person's approval")
        except StepFailed:
            raise NotConfirmed(f"no approval within {format_duration(timeout)}; "
                               "nothing was changed") from None
        decision = _decision(ctx.journal.events())
    assert decision is not None
    by = Person(**decision.data["by"])
    if decision.type == "approval_rejected":
        raise NotConfirmed(f"rejected by {by.describe()}: {decision.data.get('reason', '')}")
    return {"confirmed_by": f"approval by {by.describe()}", "approved_by": by.to_dict(),
            "confirmed_at": iso(decision.at)}


def decide(
    store: Store, clock: Clock, run_id: str, approver: Person, *, approve: bool, reason: str,
    allow_self: bool,
) -> Event:
    """Record an approval or rejection for a run waiting for approval (a failover at `confirm`,
    a runbook at its `approve` step).

    InvalidInput when the run is not waiting for approval; Blocked when the approver is the
    executor and the playbook does not allow that.
    """
    run = load_run(store, run_id)
    waiting = [e for e in store.events(run.run_id) if e.type == "run_waiting"]
    step = waiting[-1].step or "confirm" if waiting else "confirm"
    if (not waiting or waiting[-1].data.get("reason") != "approval"
            or run.step(step).status is not StepStatus.RUNNING
            or run.effective_status.finished or _decision(store.events(run.run_id))):
        raise InvalidInput(f"run {run.run_id} is not waiting for an approval "
                           f"(status {run.effective_status})")
    executor = Person(**waiting[-1].data["executor"])
    if approve and executor == approver and not allow_self:
        allowed_by = ("the runbook's approval.allow_self_approval" if run.kind == "runbook"
                      else "playbook confirmation.allow_self_approval")
        raise Blocked(f"{approver.describe()} started this {run.kind} and may not approve it",
                      hint=f"another person approves ({allowed_by} allows it)")
    event = Event(run.run_id, DECISIONS[0] if approve else DECISIONS[1], clock.now(),
                  step=step, data={"by": approver.to_dict(), "reason": reason})
    return store.append(event)


def _decision(events: list[Event]) -> Event | None:
    # Only decisions since the latest wait count (a resumed run asks again).
    latest = None
    for event in events:
        if event.type == "run_waiting":
            latest = None
        elif event.type in DECISIONS and latest is None:
            latest = event
    return latest


def _announce(run_id: str, what: str, target: str, channels: list[Channel]) -> None:
    note = Notification(
        subject=f"[drctl] approval needed: {what} ({run_id})",
        text=f"A {what} waits for a second person: "
             f"`drctl approve {run_id}` or `drctl reject {run_id} --reason …`.",
        data={"run_id": run_id, "target_region": target, "status": str(RunStatus.WAITING)},
    )
    for channel in channels:
        try:
            channel.send(note)
        except Exception:  # a channel that fails must not stop the wait; the journal has it
            continue
