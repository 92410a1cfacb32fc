"""Crash points: SIGKILL this process right after a chosen journal event.

`DRCTL_CRASH_AT=step_succeeded:switch_dns` (or `step_started:notify`, or
`step_progress:scale_secondary:applied` — the third part matches the start of the progress
message) rehearses the worst case — the operator's laptop dying mid-failover — so resume can be
proven, by the test-suite and by teams in game days. The event is journaled before subscribers
see it, so the crash lands exactly after that event is durable.
"""

from __future__ import annotations

import os
import signal

from drctl.core.engine import Subscriber
from drctl.core.events import Event

ENV = "DRCTL_CRASH_AT"


def crash_subscriber(spec: str | None = None) -> Subscriber | None:
    spec = spec if spec is not None else os.environ.get(ENV, "")
    if not spec:
        return None
    parts = spec.split(":", 2)
    event_type, step = parts[0], parts[1] if len(parts) > 1 else None
    prefix = parts[2] if len(parts) > 2 else None

    def crash(event: Event) -> None:
        if event.type != event_type or (step and event.step != step):
            return
        if prefix and not str(event.data.get("message", "")).startswith(prefix):
            return
        os.kill(os.getpid(), signal.SIGKILL)

    return crash
