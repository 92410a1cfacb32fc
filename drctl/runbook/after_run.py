"""When a runbook run ends: the report's after-run step (summary printed and sent, CloudWatch
metrics published), given what only the runbook knows -- its own notify channels (front
matter `notify`, else its playbook's) and their region. `drctl runbook run`/`resume` and the
controller (a scheduled runbook) build it here, so both end the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from drctl.app import App
from drctl.core.operator import ScriptedOperator
from drctl.core.run import Run
from drctl.notify.base import Channel
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook
from drctl.report.after_run import AfterRun, runbook_after_run
from drctl.runbook.load import load_runbook
from drctl.runbook.model import Runbook
from drctl.runbook.runner import RunbookDeps
from drctl.runbook.service import DEFAULT_REGION, build_deps

Show = Callable[[str], None]


def after_runbook(app: App, runbook: Runbook, playbook: Playbook | None,
                  channels: Callable[[Runbook], list[Channel]], show: Show,
                  brief: bool = False) -> AfterRun:
    """`playbook`: the one the run took its targets from (None: none). A run that names no
    region of its own (`target_region`/`region` param) is published where it notifies."""
    region = runbook.meta.notify_region or (
        playbook.primary_region if playbook else DEFAULT_REGION)
    return runbook_after_run(app.store, app.clock, app.aws, playbook,
                             lambda: channels(runbook), region, show, brief)


def for_command(app: App, deps: RunbookDeps, runbook: Runbook, show: Show) -> AfterRun:
    """For `drctl runbook run/resume`: the command renders the run itself (brief)."""
    playbook = load_playbook(deps.playbook_path) if deps.playbook_path else None
    return after_runbook(app, runbook, playbook, deps.channels, show, brief=True)


def for_finished_run(app: App, run: Run, playbook: Playbook, show: Show) -> AfterRun:
    """For a host that learns of the run when it ends (the controller): the runbook is read
    again from the path the run journaled. Raises what loading it raises (InvalidInput)."""
    runbook = load_runbook(str(run.params["runbook_path"]))
    deps = build_deps(app, str(run.params.get("playbook_path") or ""),
                      ScriptedOperator(interactive=False), explicit=True)
    return after_runbook(app, runbook, playbook, deps.channels, show)
