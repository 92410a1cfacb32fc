"""The verdict of an experiment, computed by drctl from chaoslib's journal.

chaoslib's `status == "completed"` is not a pass: a failing method action leaves the run
`completed`, and so does a steady state not met before the method. The verdict says what an
SRE needs to know, in this order of precedence:

    aborted   a guard, the kill switch or the operator stopped it (or chaoslib was interrupted)
    failed    the steady state was not met before the method (the method did not run)
    deviated  the steady state was not met after the method: a weakness was found
    failed    an activity (method or rollback) failed, or chaoslib gave up (`failed`/`aborted`)
    passed    steady state met before and after, and every activity succeeded -- or, for an
              experiment that declares no steady state, every activity succeeded: its reason
              then says "no steady state declared" (`steady_state_declared: false`)
    skipped   pre-flight refused to start it (decided before chaoslib is involved)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from drctl.core.errors import Blocked, DrctlError, NotConfirmed, StepFailed
from drctl.core.run import RunStatus

if TYPE_CHECKING:  # importing it at run time would import chaoslib
    from drctl.chaos.experiment import ChaosExperiment


class Verdict(StrEnum):
    PASSED = "passed"
    DEVIATED = "deviated"
    FAILED = "failed"
    ABORTED = "aborted"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Stop:
    """Why drctl stopped a running experiment. `by`: guard | kill_switch | operator."""

    by: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str
    stop: Stop | None = None
    # False: it passed with nothing checked before or after -- not evidence, and reports say so.
    steady_state_declared: bool = True

    @property
    def run_status(self) -> RunStatus:
        if self.verdict is Verdict.PASSED:
            return RunStatus.SUCCEEDED
        if self.verdict in (Verdict.ABORTED, Verdict.SKIPPED):
            return RunStatus.ABORTED
        return RunStatus.FAILED

    def error(self) -> DrctlError | None:
        """The error the CLI exits with: None only for `passed`."""
        if self.verdict is Verdict.PASSED:
            return None
        message = f"experiment {self.verdict}: {self.reason}"
        if self.verdict is Verdict.SKIPPED or (self.stop and self.stop.by != "operator"):
            return Blocked(message)
        if self.stop:
            return NotConfirmed(message)
        return StepFailed(message)


def judge(journal: dict[str, Any] | None, stop: Stop | None,
          experiment: ChaosExperiment | None = None) -> Outcome:
    """The verdict of a finished chaoslib run. `journal` is None when the experiment's process
    died before it could hand one back; `experiment` tells what it declared."""
    declared = experiment is None or experiment.declares_steady_state
    outcome = _judge(journal, stop, experiment)
    if outcome.verdict is Verdict.PASSED and not declared:
        outcome = Outcome(Verdict.PASSED, "no steady state declared: every activity succeeded, "
                          "but nothing was checked before or after the method")
    return replace(outcome, steady_state_declared=declared)


def _judge(journal: dict[str, Any] | None, stop: Stop | None,
           experiment: ChaosExperiment | None) -> Outcome:
    if stop is not None:
        return Outcome(Verdict.ABORTED, f"{stop.reason}; {_rollbacks_played(journal, experiment)}",
                       stop)
    if journal is None:
        return Outcome(Verdict.FAILED, "the experiment process ended without a journal")
    if journal.get("status") == "interrupted":
        return Outcome(Verdict.ABORTED, "interrupted (a control or signal stopped chaoslib)")
    states = journal.get("steady_states") or {}
    before, after = states.get("before"), states.get("after")
    if before is not None and not before.get("steady_state_met"):
        return Outcome(Verdict.FAILED, "steady state not met before the method "
                       f"({_failing_probe(before)}); the method did not run")
    if journal.get("deviated") or (after is not None and not after.get("steady_state_met")):
        return Outcome(Verdict.DEVIATED, "steady state not met after the method "
                       f"({_failing_probe(after or {})})")
    failed = _failed_activities(journal)
    if failed:
        return Outcome(Verdict.FAILED, "; ".join(failed))
    if journal.get("status") in ("failed", "aborted"):
        return Outcome(Verdict.FAILED, f"chaoslib ended the run as {journal['status']}")
    return Outcome(Verdict.PASSED, "steady state met before and after; every activity succeeded")


def _rollbacks_played(journal: dict[str, Any] | None,
                      experiment: ChaosExperiment | None) -> str:
    if journal is None:
        return "no journal, so whether rollbacks ran is unknown"
    played = journal.get("rollbacks") or []
    if played:
        return f"{len(played)} rollback(s) played"
    strategy = experiment.rollback_strategy if experiment else None
    if experiment is not None and experiment.rollbacks and strategy in ("default", "never"):
        return (f"no rollback played: the experiment's rollback strategy {strategy!r} plays "
                "none when it is stopped (drctl's default, 'always', would)")
    return "no rollback played"


def skipped(reason: str) -> Outcome:
    return Outcome(Verdict.SKIPPED, reason)


def _failing_probe(state: dict[str, Any]) -> str:
    for probe in state.get("probes") or []:
        name = (probe.get("activity") or {}).get("name", "?")
        if probe.get("status") == "failed":
            return f"probe {name!r} failed: {last_line(probe)}"
        if not probe.get("tolerance_met", True):
            return f"probe {name!r} returned {_short(probe.get('output'))}"
    return "no probe result"


def _failed_activities(journal: dict[str, Any]) -> list[str]:
    failed = []
    for phase, runs in (("method", journal.get("run")), ("rollback", journal.get("rollbacks"))):
        for run in runs or []:
            if run.get("status") == "failed":
                name = (run.get("activity") or {}).get("name", "?")
                failed.append(f"{phase} activity {name!r} failed: {last_line(run)}")
    return failed


def last_line(run: dict[str, Any]) -> str:
    """The exception line of a failed chaoslib run entry."""
    lines = [line.strip() for line in run.get("exception") or [] if line.strip()]
    return lines[-1] if lines else "no error recorded"


def _short(value: Any, limit: int = 500) -> str:
    """A probe's output in a verdict: whole, unless it is long (the journal keeps it all)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(text)} characters; the run's journal has all of it)"
