"""The experiment's own process: chaoslib runs here, on its main thread, and reports back.

chaoslib installs signal handlers (so it needs a main thread) and keeps module-level state
(global controls, the activity cache, settings), so every experiment gets a fresh process
(multiprocessing, spawn). Signals, as chaoslib defines them: SIGUSR1 stops with rollbacks,
SIGUSR2 stops without. SIGINT is ignored here: the operator's Ctrl-C is the drctl process's to
interpret (see `drctl.chaos.operator_stop`).

Everything the drctl process learns arrives as `(kind, data)` messages on a queue:
`phase`, `hypothesis`, `activity_started`, `activity_completed`, `log`, `stopped`, `journal`.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import signal
import threading
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import chaoslib.activity
import structlog
from chaoslib.control import load_global_controls
from chaoslib.experiment import run_experiment
from chaoslib.run import RunEventHandler
from chaoslib.types import Strategy

from drctl.chaos import guard_control
from drctl.chaos.guard import Guard, GuardConfig, Sink
from drctl.chaos.operator_stop import InterruptiblePauses, OperatorStop
from drctl.chaos.verdict import last_line


@dataclass(frozen=True)
class ChildRequest:
    experiment: dict[str, Any]
    guard: GuardConfig
    rollback_strategy: str
    config_vars: dict[str, Any] = field(default_factory=dict)
    secret_vars: dict[str, Any] = field(default_factory=dict)


def main(request: ChildRequest, queue: Any, stop: OperatorStop) -> None:
    """Process entry point: run the experiment, send its journal (JSON-safe) last."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Until chaoslib installs its handlers, a stop must not kill us: the guard sees the events.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    sink: Sink = queue.put
    _forward_logs(sink)
    guard = Guard(request.guard, sink, stop.graceful)
    chaoslib.activity.time = InterruptiblePauses(stop, guard)
    try:
        journal = run(request, guard, sink)
        sink(("journal", {"journal": json_safe(journal)}))
    finally:
        guard.close()


def run(request: ChildRequest, guard: Guard, sink: Sink) -> dict[str, Any]:
    experiment = dict(request.experiment)
    experiment["dry"] = None  # as `chaos run` without --dry
    # As `chaos run`: the experiment's runtime block decides the strategies (settings carry
    # them to chaoslib); drctl supplies its own rollback default and its guard control.
    settings: dict[str, Any] = {
        "runtime": {"rollbacks": {"strategy": request.rollback_strategy},
                    "hypothesis": {"strategy": hypothesis_strategy(experiment)}},
        "controls": guard_control.global_control_settings(),
    }
    guard_control.install(guard)
    load_global_controls(settings)
    journal: dict[str, Any] = run_experiment(
        experiment, settings=settings,
        experiment_vars=(request.config_vars, request.secret_vars),
        strategy=Strategy.from_string(hypothesis_strategy(experiment)),
        event_handlers=[ProgressRelay(sink, guard, experiment)],
    )
    return journal


def hypothesis_strategy(experiment: dict[str, Any]) -> str:
    runtime = experiment.get("runtime") or {}
    return str((runtime.get("hypothesis") or {}).get("strategy", "default"))


class ProgressRelay(RunEventHandler):
    """chaoslib's run events, turned into messages for the drctl process."""

    def __init__(self, sink: Sink, guard: Guard, experiment: dict[str, Any]) -> None:
        self._sink = sink
        self._guard = guard
        self._phase = "before"
        hypothesis = experiment.get("steady-state-hypothesis") or {}
        self._probes = {p.get("name") for p in hypothesis.get("probes") or []}

    def _enter(self, phase: str) -> None:
        self._phase = phase
        self._sink(("phase", {"phase": phase}))

    def start_hypothesis_before(self, experiment: Any) -> None:
        self._enter("before")

    def start_method(self, experiment: Any) -> None:
        self._enter("method")

    def start_hypothesis_after(self, experiment: Any) -> None:
        self._enter("after")

    def start_rollbacks(self, experiment: Any) -> None:
        self._guard.disarm()
        self._enter("rollbacks")

    def hypothesis_before_completed(self, experiment: Any, state: Any, journal: Any) -> None:
        self._hypothesis("before", state)

    def hypothesis_after_completed(self, experiment: Any, state: Any, journal: Any) -> None:
        self._hypothesis("after", state)

    def _hypothesis(self, when: str, state: dict[str, Any] | None) -> None:
        met = bool(state and state.get("steady_state_met"))
        self._sink(("hypothesis", {"when": when, "met": met}))

    def start_activity(self, activity: dict[str, Any]) -> None:
        self._sink(("activity_started", self._describe(activity)))

    def activity_completed(self, activity: dict[str, Any], run: dict[str, Any]) -> None:
        data = self._describe(activity)
        data.update(status=run.get("status"), output=_short(run.get("output")))
        if run.get("status") == "failed":
            data["error"] = last_line(run)
        self._sink(("activity_completed", data))

    def _describe(self, activity: dict[str, Any]) -> dict[str, Any]:
        phase = self._phase
        # The continuous hypothesis probes on its own thread while the method runs.
        if activity.get("name") in self._probes and threading.current_thread() is not (
                threading.main_thread()):
            phase = "during"
        return {"phase": phase, "name": activity.get("name"), "type": activity.get("type")}


class _LogForwarder(logging.Handler):
    def __init__(self, sink: Sink) -> None:
        super().__init__(logging.WARNING)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_EXPECTED):
            self._sink(("log", {"level": record.levelname.lower(), "message": message}))


# What drctl already reports (a failed activity, its own stop), and chaoslib's warning about
# a choice drctl made on purpose (the `always` rollback strategy).
_EXPECTED = ("Rollbacks were explicitly requested to be played", "drctl stopped the experiment",
             "  => failed:")


def _forward_logs(sink: Sink) -> None:
    """Warnings of chaoslib, chaostoolkit-aws and drctl's own adapters reach the operator
    through the drctl process -- never on this process's stdout, which may carry JSON."""
    logger = logging.getLogger("chaostoolkit")
    logger.addHandler(_LogForwarder(sink))
    logger.propagate = False

    def forward(_: Any, level: str, event: MutableMapping[str, Any]) -> Any:
        details = " ".join(f"{k}={v}" for k, v in event.items() if k != "event")
        sink(("log", {"level": level, "message": f"{event.get('event')} {details}".strip()}))
        raise structlog.DropEvent

    structlog.configure(processors=[forward],
                        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def json_safe(document: Any) -> Any:
    """The journal as `chaos run` writes it: datetimes ISO 8601, Decimals and UUIDs strings."""
    return json.loads(json.dumps(document, default=_encode))


def _encode(value: object) -> str:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return repr(value)  # `chaos run` would crash here; a journal with a repr is better


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, default=_encode) if value is not None else ""
    return text if len(text) <= limit else text[:limit - 1] + "…"
