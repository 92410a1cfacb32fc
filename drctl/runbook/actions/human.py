"""`manual` (a person does something and acknowledges it) and `approve` (another person decides).

An acknowledgement is a journal event (`manual_acked`) of the run, whether typed at the
run's terminal or given with `drctl runbook ack` from any shell, so a resumed run never asks
twice for the same step. Approval is the failover's approval (drctl/failover/approval.py).
"""

from __future__ import annotations

from typing import Any, Literal

from drctl.core.clock import iso
from drctl.core.durations import format_duration
from drctl.core.errors import NotConfirmed, StepFailed
from drctl.core.events import Event
from drctl.core.run import RunStatus
from drctl.failover.approval import wait_for_approval
from drctl.notify.base import Notification
from drctl.runbook.actions.base import ActionEnv
from drctl.runbook.model import StepBase

ACKED = "manual_acked"
DEFAULT_MANUAL_TIMEOUT = 4 * 3600.0


def find_ack(events: list[Event], step: str) -> Event | None:
    return next((e for e in events if e.type == ACKED and e.step == step), None)


def _ack_output(event: Event) -> dict[str, Any]:
    return {"acknowledged_by": event.data.get("by"), "note": event.data.get("note", ""),
            "acknowledged_at": iso(event.at), "via": event.data.get("via")}


class Manual(StepBase):
    TEMPLATED = ("instructions",)
    BUILTIN_OUTPUTS = ("acknowledged_by", "note", "acknowledged_at", "via")

    action: Literal["manual"] = "manual"
    instructions: str = ""

    @property
    def mutating(self) -> bool:
        return False  # asking again is safe; the person's own work is theirs to check

    def execute(self, env: ActionEnv) -> Any:
        journal = env.ctx.journal
        assert journal is not None, "a manual step needs the run's journal"
        done = find_ack(journal.events(), self.id)
        if done is None and env.operator.interactive:
            done = self._ask(env)
        if done is None:
            done = self._wait(env)
        return _ack_output(done)

    def _ask(self, env: ActionEnv) -> Event:
        """At the terminal, bounded like the wait without one: the run is journaled waiting,
        so `drctl runbook ack` from another shell answers too; no answer in time ends the
        step (NotConfirmed)."""
        journal = env.ctx.journal
        assert journal is not None
        journal.emit("run_waiting", reason="manual", step=self.id)
        timeout, limit = _bound(env)

        def answered_elsewhere() -> bool:
            env.ctx.interrupt.check()
            return find_ack(journal.events(), self.id) is not None

        answer = env.operator.ask_within(
            f"[{self.id}] {self.instructions or self.title or 'Do the step above.'}\n"
            f"Press Enter when done (type a note first to record one; 'abort' stops the run; "
            f"waits up to {limit}, or `drctl runbook ack {env.ctx.run_id}` from another "
            "shell): ", timeout, answered_elsewhere)
        if answer is None:
            found = find_ack(journal.events(), self.id)
            if found is None:
                raise NotConfirmed(f"step {self.id} was not acknowledged within {limit}")
            return found
        if answer.strip().lower() == "abort":
            raise NotConfirmed(f"the operator aborted at manual step {self.id}")
        journal.emit(ACKED, step=self.id, by=env.person().to_dict(), note=answer.strip(),
                     via="terminal")
        found = find_ack(journal.events(), self.id)
        assert found is not None
        return found

    def _wait(self, env: ActionEnv) -> Event:
        journal = env.ctx.journal
        assert journal is not None
        journal.emit("run_waiting", reason="manual", step=self.id)
        timeout, limit = _bound(env)
        _announce(env, self, limit)
        env.ctx.report(f"waiting for a person: `drctl runbook ack {env.ctx.run_id} "
                       f"--note …` once step {self.id} is done")
        try:
            env.ctx.wait_until(lambda: find_ack(journal.events(), self.id) is not None,
                               timeout=timeout, interval=1.0,
                               what=f"an acknowledgement of {self.id}")
        except StepFailed:
            raise NotConfirmed(f"step {self.id} was not acknowledged within {limit}") \
                from None
        found = find_ack(journal.events(), self.id)
        assert found is not None
        return found


def _bound(env: ActionEnv) -> tuple[float, str]:
    """Seconds a person has to acknowledge, and how to say it (the step's `timeout`)."""
    timeout = env.left(DEFAULT_MANUAL_TIMEOUT)
    deadline = env.deadline
    limit = deadline.describe() if deadline is not None and deadline.at is not None \
        else format_duration(timeout)
    return timeout, limit


def _announce(env: ActionEnv, step: Manual, limit: str) -> None:
    run_id = env.ctx.run_id
    note = Notification(
        subject=f"[drctl] runbook {env.runbook_title} waits for a person at {step.id} ({run_id})",
        text=f"{step.instructions or step.title or step.id}\nWhen it is done: "
             f"`drctl runbook ack {run_id} --note …` (waits up to {limit}).",
        data={"run_id": run_id, "step": step.id, "status": str(RunStatus.WAITING)},
    )
    for channel in env.channels:
        try:
            channel.send(note)
        except Exception as exc:  # one channel down must not stop the wait; the journal has it
            env.ctx.report(f"could not notify {channel.name}: {exc}")


class Approve(StepBase):
    TEMPLATED = ("summary",)
    BUILTIN_OUTPUTS = ("confirmed_by", "approved_by", "confirmed_at")

    action: Literal["approve"] = "approve"
    summary: str = ""

    @property
    def mutating(self) -> bool:
        return False  # a decision is journaled: asking again finds it

    def execute(self, env: ActionEnv) -> Any:
        what = f"runbook {env.runbook_title}, step {self.id}"
        if self.summary:
            what += f" ({self.summary})"
        return wait_for_approval(env.ctx, env.person(), env.left(env.approval_timeout),
                                 env.channels,
                                 target="", step=self.id, what=what)
