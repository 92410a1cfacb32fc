"""A planned switch whose replication lags: wait for it to catch up instead of losing data.

In a planned switch the region being left is up and writing, so data not yet replicated is not
lost yet: switching now would lose it, and waiting a little saves it. When replication lag is
the only thing that blocks, the failover waits for it (`--wait-for-replication DURATION`), or
offers the wait to the operator at a terminal; without either it stays blocked (exit 4) and
its hint is the command that waits. Nothing is changed while waiting; Ctrl-C ends it.
"""

from __future__ import annotations

import shlex

from drctl.core.durations import format_duration
from drctl.core.errors import Blocked, StepFailed
from drctl.core.step import StepContext
from drctl.failover.preflight import Check, lag_checks
from drctl.failover.spec import FailoverDeps, FailoverSpec

POLL_INTERVAL = 5.0


def wait_offered(spec: FailoverSpec, deps: FailoverDeps, lagging: list[Check]) -> float:
    """Seconds to wait for replication: the operator's --wait-for-replication, or the
    playbook's confirmation timeout if the operator accepts the wait at a terminal; 0: none."""
    if spec.options.wait_replication > 0:
        return spec.options.wait_replication
    if spec.options.yes or not deps.operator.interactive or \
            spec.playbook.confirmation.mode != "prompt" or spec.options.approval:
        return 0.0
    limit = spec.playbook.confirmation.timeout
    answer = deps.operator.ask(
        f"Replication lags beyond the RPO target ({details(lagging)}); {spec.failed_region} is "
        f"up, so waiting saves that data. Wait up to {format_duration(limit)} for it to "
        "catch up? [y/N] ")
    return limit if answer.strip().lower() in ("y", "yes") else 0.0


def catch_up(ctx: StepContext, spec: FailoverSpec, deps: FailoverDeps, timeout: float
             ) -> tuple[float, list[Check]]:
    """Wait until every lag check passes; returns (seconds waited, the passing checks).
    Blocked (exit 4, nothing changed) when replication has not caught up by `timeout`."""
    last: list[Check] = []

    def caught_up() -> bool:
        nonlocal last
        last = lag_checks(spec, deps)
        return all(c.ok for c in last)

    ctx.report(f"waiting up to {format_duration(timeout)} for replication to catch up")
    try:
        waited = ctx.wait_until(caught_up, timeout=timeout, interval=POLL_INTERVAL,
                                what="replication lag within the RPO target")
    except StepFailed:
        raise Blocked(f"replication did not catch up within {format_duration(timeout)} "
                      f"({details([c for c in last if not c.ok])}); nothing was changed",
                      hint=wait_hint(spec, 2 * timeout)) from None
    return waited, last


def details(checks: list[Check]) -> str:
    return "; ".join(f"{c.name}: {c.detail}" for c in checks)


def wait_hint(spec: FailoverSpec, seconds: float) -> str:
    """The command that waits (with the operator's --yes: it works where they ran theirs)."""
    yes = " --yes" if spec.options.yes else ""
    return (f"wait for replication: `drctl failover --region {spec.target_region} --playbook "
            f"{shlex.quote(spec.playbook_path)}{yes} --wait-for-replication "
            f"{format_duration(seconds)}`; or fix the replication, or pass --force to switch "
            "now and lose what has not replicated")
