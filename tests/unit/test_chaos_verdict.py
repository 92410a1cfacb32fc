"""The verdict drctl computes from a chaoslib journal (chaoslib's own status is not a pass)."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.chaos.verdict import Stop, Verdict, judge, skipped
from drctl.core.errors import Blocked, NotConfirmed, StepFailed
from drctl.core.run import RunStatus


def probe(name: str, met: bool = True, status: str = "succeeded") -> dict[str, Any]:
    run: dict[str, Any] = {"activity": {"name": name}, "status": status, "output": 200,
                           "tolerance_met": met}
    if status == "failed":
        run["exception"] = ["Traceback …\n", "ActivityFailed: connection refused\n"]
    return run


def journal(before: bool | None = True, after: bool | None = True, status: str = "completed",
            method: list[str] | None = None, rollbacks: list[str] | None = None,
            deviated: bool = False) -> dict[str, Any]:
    def state(met: bool | None) -> dict[str, Any] | None:
        return None if met is None else {"steady_state_met": met, "probes": [probe("health", met)]}

    def runs(statuses: list[str] | None) -> list[dict[str, Any]]:
        return [{"activity": {"name": f"a{i}"}, "status": s,
                 "exception": ["ActivityFailed: boom\n"] if s == "failed" else None}
                for i, s in enumerate(statuses or [])]

    return {"status": status, "deviated": deviated,
            "steady_states": {"before": state(before), "after": state(after), "during": []},
            "run": runs(method), "rollbacks": runs(rollbacks)}


def test_met_before_and_after_with_every_activity_succeeded_passes() -> None:
    outcome = judge(journal(method=["succeeded"], rollbacks=["succeeded"]), None)

    assert outcome.verdict is Verdict.PASSED
    assert outcome.run_status is RunStatus.SUCCEEDED
    assert outcome.error() is None


def test_a_failed_method_action_fails_although_chaoslib_says_completed() -> None:
    outcome = judge(journal(method=["succeeded", "failed"]), None)

    assert outcome.verdict is Verdict.FAILED
    assert "method activity 'a1' failed: ActivityFailed: boom" in outcome.reason
    assert isinstance(outcome.error(), StepFailed)


def test_a_failed_rollback_fails_the_experiment() -> None:
    outcome = judge(journal(method=["succeeded"], rollbacks=["failed"]), None)

    assert outcome.verdict is Verdict.FAILED
    assert "rollback activity 'a0' failed" in outcome.reason


def test_steady_state_not_met_after_is_deviated() -> None:
    outcome = judge(journal(after=False, deviated=True, method=["succeeded"]), None)

    assert outcome.verdict is Verdict.DEVIATED
    assert "probe 'health' returned 200" in outcome.reason
    assert outcome.run_status is RunStatus.FAILED
    assert isinstance(outcome.error(), StepFailed)


def test_deviation_is_reported_before_a_failed_activity() -> None:
    assert judge(journal(after=False, method=["failed"]), None).verdict is Verdict.DEVIATED


def test_steady_state_not_met_before_fails_even_when_chaoslib_says_completed() -> None:
    outcome = judge(journal(before=False, after=None, status="completed"), None)

    assert outcome.verdict is Verdict.FAILED
    assert "not met before the method" in outcome.reason


def test_a_probe_that_errors_before_the_method_names_its_error() -> None:
    document = journal(before=None, after=None, status="failed")
    document["steady_states"]["before"] = {"steady_state_met": False,
                                           "probes": [probe("health", False, "failed")]}

    outcome = judge(document, None)

    assert outcome.verdict is Verdict.FAILED
    assert "probe 'health' failed: ActivityFailed: connection refused" in outcome.reason


def test_a_guard_stop_aborts_and_blocks_whatever_the_journal_says() -> None:
    outcome = judge(journal(status="interrupted", rollbacks=["succeeded"]),
                    Stop("guard", "stop alarm(s) in ALARM: us-west-2/x"))

    assert outcome.verdict is Verdict.ABORTED
    assert outcome.reason == "stop alarm(s) in ALARM: us-west-2/x; 1 rollback(s) played"
    assert outcome.run_status is RunStatus.ABORTED
    assert isinstance(outcome.error(), Blocked)


def test_an_operator_stop_aborts_with_exit_code_3() -> None:
    outcome = judge(journal(status="interrupted"), Stop("operator", "Ctrl-C"))

    assert outcome.verdict is Verdict.ABORTED
    assert "no rollback played" in outcome.reason
    error = outcome.error()
    assert isinstance(error, NotConfirmed) and error.exit_code == 3


def test_an_interruption_drctl_did_not_cause_is_still_aborted() -> None:
    assert judge(journal(status="interrupted"), None).verdict is Verdict.ABORTED


def test_no_journal_means_failed() -> None:
    outcome = judge(None, None)

    assert outcome.verdict is Verdict.FAILED
    assert "without a journal" in outcome.reason


@pytest.mark.parametrize("status", ["failed", "aborted"])
def test_chaoslib_giving_up_fails(status: str) -> None:
    assert judge(journal(status=status), None).verdict is Verdict.FAILED


def test_skipped_is_blocked_exit_4() -> None:
    outcome = skipped("pre-flight refused: kill_switch: halted")

    assert outcome.verdict is Verdict.SKIPPED
    assert outcome.run_status is RunStatus.ABORTED
    error = outcome.error()
    assert isinstance(error, Blocked) and error.exit_code == 4


def loaded(document: dict[str, Any]) -> Any:
    from drctl.chaos.experiment import ChaosExperiment
    from drctl.chaos.extension import GuardRails

    return ChaosExperiment("e.json", document, GuardRails(), ())


def test_a_pass_without_a_steady_state_says_so() -> None:
    no_hypothesis = loaded({"title": "t", "method": [{"name": "a0"}]})

    outcome = judge(journal(before=None, after=None, method=["succeeded"]), None, no_hypothesis)

    assert outcome.verdict is Verdict.PASSED and outcome.error() is None
    assert outcome.reason.startswith("no steady state declared")
    assert outcome.steady_state_declared is False


def test_a_stop_under_the_default_rollback_strategy_says_why_no_rollback_ran() -> None:
    default = loaded({"title": "t", "runtime": {"rollbacks": {"strategy": "default"}},
                      "rollbacks": [{"name": "restore"}]})

    outcome = judge(journal(status="interrupted", method=["succeeded"]),
                    Stop("kill_switch", "chaos halted by sre"), default)

    assert outcome.verdict is Verdict.ABORTED
    assert "no rollback played: the experiment's rollback strategy 'default'" in outcome.reason


def test_a_long_probe_output_is_not_cut_at_80_characters() -> None:
    failing = journal(after=False)
    failing["steady_states"]["after"]["probes"][0]["output"] = "x" * 300

    outcome = judge(failing, None)

    assert "x" * 300 in outcome.reason
