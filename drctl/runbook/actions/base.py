"""What an action gets to do its work, and the bound every action keeps: the step's timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from drctl.aws.estate import Aws
from drctl.core.clock import Clock
from drctl.core.durations import format_duration
from drctl.core.errors import StepFailed
from drctl.core.operator import Operator
from drctl.core.step import StepContext
from drctl.failover.approval import Person
from drctl.notify.base import Channel

T = TypeVar("T")


class CallTimedOut(StepFailed):
    """A call that changes things got no answer within the step's timeout: it may still take
    effect, so it is neither retried nor re-run on resume without a person saying so."""


@dataclass(frozen=True)
class Deadline:
    """When the step's `timeout` runs out (`at` None: the step has none). It spans every
    attempt; each action bounds its own wait, call or child process by `left()`."""

    clock: Clock
    at: datetime | None = None
    timeout: float | None = None

    @classmethod
    def start(cls, clock: Clock, timeout: float | None) -> Deadline:
        at = None if timeout is None else clock.now() + timedelta(seconds=timeout)
        return cls(clock, at, timeout)

    def left(self, default: float) -> float:
        """Seconds this step may still take (`default`, the action's own bound, when the step
        has no timeout); StepFailed when its time is already up."""
        if self.at is None:
            return default
        remaining = (self.at - self.clock.now()).total_seconds()
        if remaining <= 0:
            raise StepFailed(f"the step's timeout ({self.describe()}) ran out")
        return remaining

    def describe(self) -> str:
        return "none" if self.timeout is None else say_seconds(self.timeout)


def say_seconds(seconds: float) -> str:
    """`1s`, `2.5s`, `1m00s`: as a person wrote it, more or less."""
    return f"{seconds:g}s" if seconds < 60 else format_duration(seconds)


@dataclass
class ActionEnv:
    """A step's collaborators. `caller` names the AWS identity (asked once, lazily), `person`
    is who is at this terminal (OS user and AWS identity, as approvals compare them);
    `drctl` is the argv prefix that runs drctl itself (a `drctl` step's sub-run)."""

    aws: Aws
    ctx: StepContext
    operator: Operator
    channels: list[Channel]
    caller: Callable[[], str]
    person: Callable[[], Person]
    runbook_title: str = ""
    allow_shell: bool = False
    approval_timeout: float = 900.0
    drctl: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    step_id: str = ""
    deadline: Deadline | None = None
    announce: Callable[[dict[str, Any]], None] = lambda call: None
    http: httpx.Client | None = None  # the host's client (injectable); None: a default one

    def left(self, default: float) -> float:
        return default if self.deadline is None else self.deadline.left(default)


def within(env: ActionEnv, work: Callable[[], T], what: str, mutating: bool) -> T:
    """`work()` bounded by the step's timeout. A call cannot be cancelled, so it finishes on
    a helper thread while this one stops waiting at the deadline (and at an interruption)."""
    if env.deadline is None or env.deadline.at is None:
        return work()
    limit = env.deadline.left(0.0)
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting thread, raised there
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"step-{env.step_id}", daemon=True).start()
    give_up = time.monotonic() + limit
    while not done.wait(min(0.2, max(0.0, give_up - time.monotonic()))):
        env.ctx.interrupt.check()
        if time.monotonic() >= give_up:
            raise _timed_out(env.deadline, what, mutating)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _timed_out(deadline: Deadline, what: str, mutating: bool) -> StepFailed:
    message = f"{what}: no answer within the step's timeout ({deadline.describe()})"
    if mutating:
        return CallTimedOut(f"{message}; it may still take effect: check before going on")
    return StepFailed(message)
