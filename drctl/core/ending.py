"""How a run ends: the one mapping from what stopped it to the event that ends it.

    nothing raised                      run_finished  succeeded
    a stop (Ctrl-C, SIGTERM, a host's)  run_interrupted (to be resumed), or run_finished aborted
                                        "…; cleaned up" when its `always` steps cleaned up
    NotConfirmed (a person said no)     run_finished  aborted
    anything else                       run_finished  failed, with the error

Pure: the engine (drctl/core/engine.py) journals what this returns.
"""

from __future__ import annotations

from typing import Any

from drctl.core.errors import NotConfirmed
from drctl.core.interrupt import CTRL_C, Interrupted
from drctl.core.run import RunStatus

INTERRUPTED = "interrupted by the operator (Ctrl-C)"
ENDINGS = frozenset({"run_finished", "run_interrupted"})


def interrupted_reason(exc: BaseException) -> str:
    """What the journal says about a stop: Ctrl-C keeps its words; other sources are named."""
    if isinstance(exc, Interrupted) and exc.reason != CTRL_C:
        return f"interrupted ({exc.reason})"
    return INTERRUPTED


def ending(failure: BaseException | None, cleaned_up: bool) -> tuple[str, dict[str, Any]]:
    """(event type, payload) that ends a run stopped by `failure` (None: it succeeded)."""
    if failure is None:
        return "run_finished", {"status": str(RunStatus.SUCCEEDED)}
    if isinstance(failure, KeyboardInterrupt) and not cleaned_up:
        return "run_interrupted", {"reason": interrupted_reason(failure)}
    if isinstance(failure, KeyboardInterrupt):
        return "run_finished", {"status": str(RunStatus.ABORTED),
                                "error": f"{interrupted_reason(failure)}; cleaned up"}
    if isinstance(failure, NotConfirmed):
        return "run_finished", {"status": str(RunStatus.ABORTED), "error": str(failure)}
    return "run_finished", {"status": str(RunStatus.FAILED),
                            "error": str(failure) or repr(failure)}


def failure_message(exc: BaseException) -> str:
    """What a step_failed event says about `exc`."""
    if isinstance(exc, KeyboardInterrupt):
        return interrupted_reason(exc)
    return str(exc) or type(exc).__name__
