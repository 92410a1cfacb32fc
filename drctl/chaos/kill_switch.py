"""The chaos kill switch: one store setting that stops every experiment, wherever it runs.

Engaged, no experiment starts (pre-flight, exit 4) and a running one stops at its next activity
boundary, rollbacks played. It lives in the journal store, so every operator and controller
sharing that store sees the same switch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from drctl.core.clock import iso
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput
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


def engage(engine: Engine, reason: str) -> KillSwitch:
    """Halt all chaos, as the engine's identity; journaled (a `kill-switch` run) through the
    engine, so every subscriber sees it. Engaging it again replaces the reason (the latest
    word counts)."""
    if not reason.strip():
        raise InvalidInput("halting chaos needs a --reason")
    me = engine.identity
    switch = KillSwitch(reason.strip(), me.user, me.host, iso(engine.clock.now()) or "")
    engine.store.put_setting(SETTING, json.dumps(switch.to_dict()))
    engine.note("kill-switch", {"action": "halt", **switch.to_dict()})
    return switch


def release(engine: Engine) -> KillSwitch | None:
    """Allow chaos again (journaled as for `engage`). Returns the switch that was engaged,
    or None."""
    previous = engaged(engine.store)
    engine.store.put_setting(SETTING, None)
    engine.note("kill-switch", {"action": "resume", "by": engine.identity.user,
                                "released": previous.to_dict() if previous else None})
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

