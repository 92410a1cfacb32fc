"""What a host (the CLI, the controller) calls: deps built from the composition root, and
`run_unattended`, the one call that runs a runbook with given params and no person present."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from drctl.app import App
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import DrctlError, InvalidInput
from drctl.core.operator import Operator, ScriptedOperator
from drctl.core.run import Run
from drctl.failover.approval import current_person
from drctl.notify.base import Channel
from drctl.notify.channels import build_channels
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook, Targets
from drctl.runbook.lint import PEOPLE
from drctl.runbook.load import load_runbook
from drctl.runbook.model import Runbook
from drctl.runbook.runner import RunbookDeps, start_runbook

DEFAULT_REGION = "us-east-1"


def optional_playbook(path: str, explicit: bool) -> Playbook | None:
    """The playbook for notify channels and targets; the default one may be absent."""
    if not explicit and not Path(path).is_file():
        return None
    return load_playbook(path)


def build_deps(app: App, playbook_path: str, operator: Operator, *, explicit: bool = False,
               console: Callable[[str], Any] | None = None) -> RunbookDeps:
    """Runbook deps from the composition root. `drctl` steps write to the same journal."""
    playbook = optional_playbook(playbook_path, explicit)
    env = dict(os.environ)
    env["DRCTL_STATE_DIR"] = str(app.state_dir.resolve())
    env["DRCTL_STATE"] = app.store_url  # the same journal, wherever its default lives

    def channels(runbook: Runbook) -> list[Channel]:
        configs = runbook.meta.notify if runbook.meta.notify is not None else (
            playbook.notify if playbook else [])
        region = runbook.meta.notify_region or (
            playbook.primary_region if playbook else DEFAULT_REGION)
        found, _ = build_channels(list(configs), app.aws, region, env, console=console)
        return found

    return RunbookDeps(
        aws=app.aws, operator=operator, channels=channels,
        targets=playbook.targets if playbook else Targets(),
        playbook_path=playbook_path if playbook else "",
        drctl=[sys.executable, "-m", "drctl"], env=env,
        http=app.http, caller=lambda: _caller(app),
        person=lambda: current_person(app.aws, app.identity))


def _caller(app: App) -> str:
    try:
        return app.identity.principal().arn
    except DrctlError as exc:  # the call is shown anyway; say why the identity is not
        return f"unknown AWS identity ({exc.message})"


def run_unattended(app: App, path: str | Path, params: dict[str, Any], *,
                   playbook_path: str, subscribers: Sequence[Subscriber] = (),
                   engine: Engine | None = None) -> Run:
    """Run the runbook at `path` with `params` (typed as its front matter says), nobody at a
    terminal, stopped through `app.interrupt` (or `engine`'s port, when a host gives its own
    engine). InvalidInput (nothing run) for a bad runbook or params, or one with
    `manual`/`approve` steps (no person to answer); DrctlError subclasses when the run fails
    (it is journaled either way); Interrupted (a KeyboardInterrupt) when stopped."""
    runbook = load_runbook(path)
    people = [s.id for s in runbook.steps if s.spec.action in PEOPLE]
    if people:
        raise InvalidInput(f"runbook {runbook.meta.id} waits for a person at "
                           f"{', '.join(people)}: it cannot run unattended")
    deps = build_deps(app, playbook_path, ScriptedOperator(interactive=False), explicit=True)
    return start_runbook(runbook, params, deps, engine or app.engine(list(subscribers)))
