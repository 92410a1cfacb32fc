"""The after-run subscriber, built for a playbook: summary, notify channels, CloudWatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from drctl.cli.app import Application
from drctl.playbook.schema import Playbook
from drctl.report.after_run import AfterRun, after_run_for
from drctl.report.records import RunRecord, load_records

if TYPE_CHECKING:
    from drctl.runbook.model import Runbook
    from drctl.runbook.runner import RunbookDeps


def after_run(app: Application, playbook: Playbook) -> AfterRun:
    """For a command that renders its run itself (`render_run`, `render_drill`, the chaos
    verdict): the summary is sent and published in full, but printed only as its footer --
    slowest step, regressions, the full-report commands -- so no error or RTO/RPO line is
    printed twice. The footer comes when the run ends, before the command's rendering."""
    return after_run_for(app.store, app.clock, app.aws, playbook, _printer(app), brief=True)


def runbook_after_run(app: Application, deps: RunbookDeps, runbook: Runbook) -> AfterRun:
    """The same for `drctl runbook run/resume`: the runbook's channels, its playbook's
    metrics setting."""
    from drctl.runbook.after_run import for_command  # the runbook extra is loaded by then

    return for_command(app, deps, runbook, _printer(app))


def _printer(app: Application) -> Callable[[str], None]:
    return lambda text: app.console.print(text, markup=False, soft_wrap=True)


def failover_history(app: Application) -> list[RunRecord]:
    return load_records(app.store, "failover")
