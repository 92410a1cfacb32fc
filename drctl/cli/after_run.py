"""The after-run subscriber, built for a playbook: summary, notify channels, CloudWatch."""

from __future__ import annotations

from drctl.cli.app import Application
from drctl.playbook.schema import Playbook
from drctl.report.after_run import AfterRun, after_run_for
from drctl.report.records import RunRecord, load_records


def after_run(app: Application, playbook: Playbook) -> AfterRun:
    """For a command that renders its run itself (`render_run`, `render_drill`, the chaos
    verdict): the summary is sent and published in full, but printed only as its footer --
    slowest step, regressions, the full-report commands -- so no error or RTO/RPO line is
    printed twice. The footer comes when the run ends, before the command's rendering."""
    return after_run_for(app.store, app.clock, app.aws, playbook,
                         lambda text: app.console.print(text, markup=False, soft_wrap=True),
                         brief=True)


def failover_history(app: Application) -> list[RunRecord]:
    return load_records(app.store, "failover")
