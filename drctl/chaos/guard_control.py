"""The chaoslib control that enforces drctl's guard at every activity boundary.

drctl loads it as a *global* control, so the experiment file is not touched (and its journal
shows it unchanged). chaoslib calls controls as module functions, so the experiment process's
one `Guard` is installed here by `install` before the run starts; each experiment has its own
process, so nothing is shared between runs.

Raising `InterruptExecution` makes chaoslib end the run as `interrupted`, then play the
rollbacks (drctl runs experiments with the `always` rollback strategy unless they say otherwise).
"""

from __future__ import annotations

from typing import Any

from chaoslib.exceptions import InterruptExecution

from drctl.chaos.guard import Guard

MODULE = __name__
_installed: list[Guard] = []  # at most one: the guard of this experiment process


def install(guard: Guard) -> None:
    _installed[:] = [guard]


def global_control_settings() -> dict[str, Any]:
    """The `controls` entry of chaoslib settings that loads this module."""
    return {"drctl-guard": {"provider": {"type": "python", "module": MODULE}}}


def before_activity_control(context: dict[str, Any], **_: Any) -> None:
    _enforce(context)


def after_activity_control(context: dict[str, Any], **_: Any) -> None:
    _enforce(context)


def _enforce(activity: dict[str, Any]) -> None:
    if not _installed:
        return
    stop = _installed[0].check()
    if stop is not None:
        raise InterruptExecution(f"drctl stopped the experiment at activity "
                                 f"{activity.get('name')!r}: {stop.reason}")
