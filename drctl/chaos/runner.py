"""A chaos experiment as a Run: pre-flight, chaoslib in its own process, verdict, journal.

The run's steps are `preflight`, `steady-state before`, one per method activity
(`method: NAME`), `steady-state after`, and one per rollback (`rollback: NAME`); the probes of
a hypothesis are shown as progress. The verdict and chaoslib's whole journal are recorded in
the run's `run_measured` event, so `drctl runs show --json` carries them.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drctl.aws.estate import Aws
from drctl.chaos.child import ChildRequest
from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.guard import GuardConfig
from drctl.chaos.preflight import ONE_AT_A_TIME, Check, Preflight, guard_alarms, run_preflight
from drctl.chaos.process import run_in_child
from drctl.chaos.verdict import Outcome, Stop, Verdict, judge, skipped
from drctl.core.engine import Engine
from drctl.core.errors import Blocked
from drctl.core.exclusive import exclusive_run
from drctl.core.figures import ChaosFigures
from drctl.core.run import Run
from drctl.playbook.schema import Playbook
from drctl.store.base import load_run

KIND = "chaos"
PREFLIGHT = "preflight"


@dataclass(frozen=True)
class ChaosDeps:
    aws: Aws
    playbook: Playbook
    store_url: str  # the same store, opened again in the experiment's process
    profile: str | None = None


@dataclass(frozen=True)
class ChaosResult:
    run: Run
    outcome: Outcome


def chaos_params(experiment: ChaosExperiment, playbook: str) -> dict[str, Any]:
    return {
        # Names the run's guard rails and lock; the report groups, the metrics dimension and
        # the controller's after-run summary (found by playbook name) all read it.
        "playbook": playbook,
        "experiment": experiment.title,
        "experiment_path": experiment.path,
        "experiment_file": str(Path(experiment.path).resolve()),
        "target": ",".join(experiment.target_regions) or None,
        "target_regions": list(experiment.target_regions),
        "scope": experiment.guard.scope,
        "rollback_strategy": experiment.rollback_strategy,
        "exclusive": experiment.exclusive,
        # Names only: a variable's value may be sensitive.
        "vars": sorted(experiment.config_vars),
    }


def run_chaos(experiment: ChaosExperiment, deps: ChaosDeps, engine: Engine) -> ChaosResult:
    """Pre-flight, then the experiment, then the verdict. Always journals a finished run;
    the caller maps `outcome.error()` to the exit code. A stop requested on the engine's port
    (Ctrl-C, SIGTERM, a host's shutdown) rolls the experiment back, from any thread."""
    run_id = engine.start(KIND, chaos_params(experiment, deps.playbook.name))
    # Whatever raises here (the pre-flight, the experiment process, the relay, the store)
    # still ends the run, `failed` -- never left `running` in a daemon that lives on.
    with engine.running(run_id):
        return _run(experiment, deps, engine, run_id)


def _run(experiment: ChaosExperiment, deps: ChaosDeps, engine: Engine, run_id: str
         ) -> ChaosResult:
    stop_alarms = guard_alarms(experiment, deps.playbook)  # read once: pre-flight and guard
    total = planned_steps(experiment)
    engine.emit(run_id, "step_started", PREFLIGHT, index=1, total=total, attempt=1)
    with ExitStack() as held:
        try:
            preflight = run_preflight(experiment, stop_alarms, deps.playbook, engine.store,
                                      deps.aws, engine.clock.now())
            if preflight.passed:
                preflight = _hold_the_playbook(held, preflight, experiment, deps, engine, run_id)
            # A stop asked for by now (a host shutting down as the run began): nothing runs,
            # rather than an experiment process started only to be stopped.
            engine.interrupt.check()
        except KeyboardInterrupt as exc:  # stopped before anything ran
            engine.emit(run_id, "step_failed", PREFLIGHT, error=str(exc) or "stopped",
                        error_type="Interrupted")
            stop = Stop("operator", f"stopped by the operator ({getattr(exc, 'reason', 'Ctrl-C')})"
                        " during pre-flight")
            return _finish(engine, run_id, Outcome(Verdict.ABORTED, f"{stop.reason}: nothing "
                                                   "ran", stop), None)
        if not preflight.passed:
            return _finish(engine, run_id, _refused(engine, run_id, preflight), None)
        engine.emit(run_id, "step_succeeded", PREFLIGHT, output=preflight.to_dict(),
                    skipped_apply=False)
        relay = StepRelay(engine, run_id, total)
        result = run_in_child(_request(experiment, stop_alarms, deps), relay, engine.interrupt)
        relay.close_open_step()
        outcome = judge(result.journal, result.stop, experiment)
        if result.journal is None and result.exit_code:
            outcome = Outcome(outcome.verdict, f"{outcome.reason} (experiment process exit "
                              f"code {result.exit_code})", outcome.stop)
        return _finish(engine, run_id, outcome, result.journal)


def _hold_the_playbook(held: ExitStack, preflight: Preflight, experiment: ChaosExperiment,
                       deps: ChaosDeps, engine: Engine, run_id: str) -> Preflight:
    """One disruptive run per playbook (drctl/core/exclusive.py): held until the run ends."""
    try:
        held.enter_context(exclusive_run(engine.store, deps.playbook.name, run_id, engine.clock,
                                         engine.identity, exclusive=experiment.exclusive))
    except Blocked as exc:
        return preflight.adding(Check(ONE_AT_A_TIME, False, exc.message))
    detail = "held for this run" if experiment.exclusive else "not taken (exclusive: false)"
    return preflight.adding(Check(ONE_AT_A_TIME, True, detail))


def planned_steps(experiment: ChaosExperiment) -> int:
    """Steps if everything runs: pre-flight, two hypotheses, the method, the rollbacks."""
    hypotheses = 2 if experiment.hypothesis_probes else 0
    return 1 + hypotheses + len(experiment.method) + len(experiment.rollbacks)


def _refused(engine: Engine, run_id: str, preflight: Preflight) -> Outcome:
    reasons = "; ".join(f"{c.name}: {c.detail}" for c in preflight.refusals)
    engine.emit(run_id, "step_failed", PREFLIGHT, error=reasons, error_type="Blocked",
                checks=preflight.to_dict()["checks"])
    return skipped(f"pre-flight refused: {reasons}")


def _request(experiment: ChaosExperiment, stop_alarms: dict[str, list[str]],
             deps: ChaosDeps) -> ChildRequest:
    return ChildRequest(experiment, GuardConfig(deps.store_url, stop_alarms, deps.profile))


def _finish(engine: Engine, run_id: str, outcome: Outcome,
            journal: dict[str, Any] | None) -> ChaosResult:
    figures = ChaosFigures(str(outcome.verdict), outcome.reason,
                           outcome.stop.by if outcome.stop else None,
                           outcome.steady_state_declared, journal)
    engine.measured(run_id, figures)
    error = None if outcome.error() is None else outcome.reason
    engine.emit(run_id, "run_finished", status=str(outcome.run_status), error=error)
    return ChaosResult(load_run(engine.store, run_id), outcome)


class StepRelay:
    """Turns the experiment process's messages into journal events on the engine."""

    def __init__(self, engine: Engine, run_id: str, total: int) -> None:
        self._engine = engine
        self._run_id = run_id
        self._total = total
        self._open: str | None = None
        self._index = 1  # the pre-flight was step 1
        self._names: dict[str, int] = {}

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(data)

    def close_open_step(self, error: str = "interrupted before it completed") -> None:
        if self._open is not None:
            self._engine.emit(self._run_id, "step_failed", self._open, error=error,
                              error_type="Interrupted")
            self._open = None

    def _start(self, name: str) -> None:
        self.close_open_step()
        seen = self._names[name] = self._names.get(name, 0) + 1
        self._open = name if seen == 1 else f"{name} ({seen})"
        self._index += 1
        self._engine.emit(self._run_id, "step_started", self._open, index=self._index,
                          total=max(self._total, self._index), attempt=1)

    def _end(self, error: str | None, output: dict[str, Any]) -> None:
        if self._open is None:
            return
        if error is None:
            self._engine.emit(self._run_id, "step_succeeded", self._open, output=output,
                              skipped_apply=False)
        else:
            self._engine.emit(self._run_id, "step_failed", self._open, error=error,
                              error_type="ChaosActivity")
        self._open = None

    def _on_phase(self, data: dict[str, Any]) -> None:
        if data["phase"] in ("before", "after"):
            self._start(f"steady-state {data['phase']}")

    def _on_hypothesis(self, data: dict[str, Any]) -> None:
        self._end(None if data["met"] else "steady state not met", {"met": data["met"]})

    def _on_activity_started(self, data: dict[str, Any]) -> None:
        if data["phase"] in ("method", "rollbacks"):
            prefix = "method" if data["phase"] == "method" else "rollback"
            self._start(f"{prefix}: {data['name']}")

    def _on_activity_completed(self, data: dict[str, Any]) -> None:
        status = data["status"] or "interrupted before it completed"  # chaoslib: no status
        line = f"{data['type']} {data['name']}: {status}"
        detail = data.get("error") or (data.get("output") if data["status"] else None)
        self._progress(f"{line} — {detail}" if detail else line)
        if data["phase"] in ("method", "rollbacks"):
            # chaoslib records an activity a stop cut short with no status at all: not a success.
            error = data.get("error") or (None if data.get("status") == "succeeded" else
                                          "interrupted before it completed")
            self._end(error, {"type": data["type"], "output": data.get("output")})

    def _on_log(self, data: dict[str, Any]) -> None:
        self._progress(f"{data['level']}: {data['message']}")

    def _on_stopped(self, data: dict[str, Any]) -> None:
        self._progress(f"STOPPING ({data['by']}): {data['reason']}")

    def _progress(self, message: str) -> None:
        self._engine.emit(self._run_id, "step_progress", self._open, message=message)
