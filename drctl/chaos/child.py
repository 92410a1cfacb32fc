"""The experiment's own process: chaoslib runs here, on its main thread, and reports back.

chaoslib installs signal handlers (so it needs a main thread) and keeps module-level state
(global controls, the activity cache, settings), so every experiment gets a fresh process
(multiprocessing, spawn). Signals, as chaoslib defines them: SIGUSR1 stops with rollbacks,
SIGUSR2 stops without. The process leads its own session, so the terminal's Ctrl-C reaches only
the drctl process, which interprets it (see `drctl.chaos.process`); what the experiment starts
keeps the default SIGINT, and is stopped with the process group when the experiment ends.

Everything the drctl process learns arrives as `(kind, data)` messages on a queue:
`started` (its stop signals are safe to send from now on), `phase`, `hypothesis`,
`activity_started`, `activity_completed`, `log`, `stopped`, `journal`.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import os
import signal
import threading
import uuid
from collections.abc import MutableMapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import chaoslib.activity
import structlog
from chaoslib.control import load_global_controls
from chaoslib.experiment import run_experiment
from chaoslib.run import RunEventHandler
from chaoslib.types import Strategy

from drctl.chaos import guard_control
from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.guard import Guard, GuardConfig, Sink
from drctl.chaos.operator_stop import InterruptiblePauses, OperatorStop
from drctl.chaos.verdict import last_line


@dataclass(frozen=True)
class ChildRequest:
    """What the experiment process needs: the experiment as loaded, and what its guard watches."""

    experiment: ChaosExperiment
    guard: GuardConfig


def main(request: ChildRequest, queue: Any, stop: OperatorStop) -> None:
    """Process entry point: run the experiment, send its journal (JSON-safe) last."""
    # Our own session: the terminal's Ctrl-C is drctl's to interpret, and what the experiment
    # starts (process actions) keeps the default SIGINT and can be stopped as one group.
    with suppress(PermissionError):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Until chaoslib installs its handlers, a stop must not kill us: the guard sees the events.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    sink: Sink = queue.put
    sink(("started", {}))  # from now on chaoslib's stop signals cannot kill us
    _forward_logs(sink)
    guard = Guard(request.guard, sink, stop.graceful)
    chaoslib.activity.time = InterruptiblePauses(stop, guard)
    # A halt or a stop alarm ends a pause or a long action within about a second, as Ctrl-C
    # does: chaoslib's own graceful stop (SIGUSR1 -> SystemExit(20)), rollbacks played.
    guard.watch(lambda: os.kill(os.getpid(), signal.SIGUSR1))
    try:
        journal = run(request, guard, sink)
        sink(("journal", {"journal": json_safe(journal)}))
    finally:
        guard.close()
        stop_what_it_started()


def stop_what_it_started() -> None:
    """Every process the experiment started and left running (our process group) gets SIGTERM;
    this process ignores it meanwhile (chaoslib's own SIGTERM handler is put back)."""
    if os.getpgrp() != os.getpid():
        return  # not our own group (setsid failed): nothing we may signal as a whole
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with suppress(ProcessLookupError):
            os.killpg(os.getpgrp(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(request: ChildRequest, guard: Guard, sink: Sink) -> dict[str, Any]:
    loaded = request.experiment
    experiment = dict(loaded.document)
    experiment["dry"] = None  # as `chaos run` without --dry
    # As `chaos run`: the experiment's runtime block decides the strategies (settings carry
    # them to chaoslib); drctl supplies its own rollback default and its guard control.
    settings: dict[str, Any] = {
        "runtime": {"rollbacks": {"strategy": loaded.rollback_strategy},
                    "hypothesis": {"strategy": hypothesis_strategy(experiment)}},
        "controls": guard_control.global_control_settings(),
    }
    guard_control.install(guard)
    load_global_controls(settings)
    journal: dict[str, Any] = run_experiment(
        experiment, settings=settings,
        experiment_vars=(loaded.config_vars, loaded.secret_vars),
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
        if self._guard.stopped:  # what the interrupted method started stops before rollbacks
            stop_what_it_started()
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
