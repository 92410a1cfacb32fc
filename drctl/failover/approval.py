"""Approval by a second person: the run waits at `confirm` until someone else says yes.

A person is identified by what they cannot set in their environment: the AWS principal,
normalised (drctl/core/identity.py: an assumed role's session name counts, not only the
role). The OS account (the uid's name, never LOGNAME/USER) is journaled beside it and decides
only when both share one AWS principal (one instance role on a shared host). So the executor
cannot approve their own failover by setting LOGNAME=someone-else. Decisions are journal
events of the waiting run (`approval_granted` / `approval_rejected`), journaled through the
engine, so they survive a crash of either process, every subscriber sees them, and they are the
audit trail of who approved and when.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from drctl.aws.estate import Aws
from drctl.core.clock import iso
from drctl.core.commands import drctl
from drctl.core.durations import format_duration
from drctl.core.engine import Engine
from drctl.core.errors import AwsError, Blocked, InvalidInput, NotConfirmed, StepFailed
from drctl.core.events import Event
from drctl.core.identity import Identity, account_name, normalise_arn
from drctl.core.run import Run, RunStatus, StepStatus
from drctl.core.step import StepContext
from drctl.notify.base import Channel, Notification
from drctl.store.base import load_run

DECISIONS = ("approval_granted", "approval_rejected")


UNKNOWN_AWS = "unknown AWS identity"


@dataclass(frozen=True)
class Person:
    user: str        # the OS account (uid's name)
    aws: str         # the AWS caller's ARN, as STS said it
    principal: str = ""  # normalised; journals written before it had none: derived from `aws`

    @property
    def key(self) -> str:
        return self.principal or normalise_arn(self.aws)

    def same_as(self, other: Person) -> bool:
        """One person: one AWS principal, and (sharing it) one OS account."""
        return self.key == other.key and self.user == other.user

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "principal": self.key}

    def describe(self) -> str:
        return f"{self.user} ({self.aws})"


def current_person(aws: Aws, identity: Identity | None = None) -> Person:
    """This process's person: `identity`'s OS account and AWS principal (default: the uid's
    account, and the caller `aws` reports)."""
    try:
        if identity is not None:
            principal = identity.principal()
            return Person(identity.user, principal.arn, principal.key)
        arn = aws.sts().caller_arn()
    except AwsError:
        arn = UNKNOWN_AWS
    return Person(identity.user if identity else account_name(os.getuid()), arn)


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
        ctx.report(f"waiting for approval: `{drctl('approve', ctx.run_id)}` from another "
                   "person")
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
    engine: Engine, run_id: str, approver: Person, *, approve: bool, reason: str,
    allow_self: bool,
) -> Event:
    """Record an approval or rejection for a run waiting for approval (a failover at `confirm`,
    a runbook at its `approve` step).

    InvalidInput when the run is not waiting for approval; Blocked when the approver is the
    executor (one AWS principal and OS account, whatever LOGNAME/USER say) and the playbook
    does not allow that, or when the approver's AWS principal cannot be read.
    """
    store = engine.store
    run = load_run(store, run_id)
    waiting = [e for e in store.events(run.run_id) if e.type == "run_waiting"]
    step = waiting[-1].step or "confirm" if waiting else "confirm"
    _not_a_manual_wait(run, waiting[-1] if waiting else None)
    if run.effective_status is RunStatus.INTERRUPTED:  # recorded, it would answer nobody now
        resume = (drctl("runbook", "resume", run.run_id) if run.kind == "runbook" else
                  drctl("failover", "--resume", run.run_id, "--takeover"))
        raise InvalidInput(f"run {run.run_id} is interrupted (its process is gone): nothing "
                           "waits for an approval; once resumed it waits for one again",
                           hint=f"resume it: `{resume}`, then approve")
    if (not waiting or waiting[-1].data.get("reason") != "approval"
            or run.step(step).status is not StepStatus.RUNNING
            or run.effective_status.finished or _decision(store.events(run.run_id))):
        raise InvalidInput(f"run {run.run_id} is not waiting for an approval "
                           f"(status {run.effective_status})")
    executor = Person(**waiting[-1].data["executor"])
    if approve and approver.key == normalise_arn(UNKNOWN_AWS):
        raise Blocked("cannot tell who is approving: AWS did not say who the caller is",
                      hint="check the AWS credentials (`aws sts get-caller-identity`)")
    if approve and executor.same_as(approver) and not allow_self:
        allowed_by = ("the runbook's approval.allow_self_approval" if run.kind == "runbook"
                      else "playbook confirmation.allow_self_approval")
        raise Blocked(f"{approver.describe()} started this {run.kind} and may not approve it",
                      hint=f"another person approves ({allowed_by} allows it)")
    return engine.emit(run.run_id, DECISIONS[0] if approve else DECISIONS[1], step=step,
                       by=approver.to_dict(), reason=reason)


def _not_a_manual_wait(run: Run, wait: Event | None) -> None:
    """A runbook waiting at a `manual` step is answered with `drctl runbook ack`, by anyone:
    an approval there would be a dead end, so say which command continues it."""
    if wait is None or wait.data.get("reason") != "manual" or run.effective_status.finished \
            or run.step(wait.step or "").status is not StepStatus.RUNNING:
        return
    raise InvalidInput(f"run {run.run_id} waits at manual step {wait.step}, not for an "
                       "approval: a person acknowledges it once it is done",
                       hint=f"continue it with "
                            f"`drctl runbook ack {run.run_id} --note 'what you did'`")


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
             f"`{drctl('approve', run_id)}` or `{drctl('reject', run_id, '--reason …')}`.",
        data={"run_id": run_id, "target_region": target, "status": str(RunStatus.WAITING)},
    )
    for channel in channels:
        try:
            channel.send(note)
        except Exception:  # a channel that fails must not stop the wait; the journal has it
            continue
