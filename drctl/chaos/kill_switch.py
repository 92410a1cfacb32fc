"""The chaos kill switch: one store setting that stops every experiment, wherever it runs.

Engaged, no experiment starts (pre-flight, exit 4) and a running one stops at its next activity
boundary, rollbacks played. It lives in the journal store, so every operator and controller
sharing that store sees the same switch.
"""

from __future__ import annotations

import getpass
import json
import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from drctl.core.clock import iso
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput
from drctl.core.run import RunStatus
from drctl.store.base import Store

SETTING = "chaos.kill_switch"


@dataclass(frozen=True)
class KillSwitch:
    reason: str
    by: str
    host: str
    at: str

    def describe(self) -> str:
        return f"chaos halted by {self.by} on {self.host} at {self.at}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def engage(store: Store, reason: str, now: datetime) -> KillSwitch:
    """Halt all chaos. Engaging it again replaces the reason (the latest word counts)."""
    if not reason.strip():
        raise InvalidInput("halting chaos needs a --reason")
    switch = KillSwitch(reason.strip(), getpass.getuser(), socket.gethostname(), iso(now) or "")
    store.put_setting(SETTING, json.dumps(switch.to_dict()))
    return switch


def release(store: Store) -> KillSwitch | None:
    """Allow chaos again. Returns the switch that was engaged, or None."""
    previous = engaged(store)
    store.put_setting(SETTING, None)
    return previous


def engaged(store: Store) -> KillSwitch | None:
    """The engaged switch, or None. A value that cannot be read counts as engaged (fail closed)."""
    raw = store.get_setting(SETTING)
    if raw is None:
        return None
    try:
        return KillSwitch(**json.loads(raw))
    except (ValueError, TypeError):
        return KillSwitch(f"unreadable kill switch setting {raw!r}", "?", "?", "?")


def journal(engine: Engine, action: str, details: dict[str, Any]) -> str:
    """Record a halt or resume in the journal (kind `kill-switch`): who stopped chaos, when
    and why is part of the audit trail, next to the runs it stopped."""
    run_id = engine.start("kill-switch", {"action": action, **details})
    engine.emit(run_id, "run_finished", status=str(RunStatus.SUCCEEDED))
    return run_id
