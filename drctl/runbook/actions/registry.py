"""The one table of runbook actions: `action:` name -> step model. Lint, the runner and the
SSM export all read it, so an action added here is known everywhere."""

from __future__ import annotations

import difflib

from drctl.runbook.actions.aws import AwsAssert, AwsCall, AwsWait
from drctl.runbook.actions.human import Approve, Manual
from drctl.runbook.actions.misc import Http, Sleep
from drctl.runbook.actions.process import Drctl, Shell
from drctl.runbook.model import StepBase


def _register(*models: type[StepBase]) -> dict[str, type[StepBase]]:
    table: dict[str, type[StepBase]] = {}
    for model in models:
        if not issubclass(model, StepBase):
            raise TypeError(f"{model!r} is not a runbook step model")
        name = model.model_fields["action"].default
        if not isinstance(name, str) or name in table:
            raise TypeError(f"{model.__name__}: action name {name!r} missing or taken")
        table[name] = model
    return table


ACTIONS = _register(AwsCall, AwsWait, AwsAssert, Http, Manual, Approve, Sleep, Drctl, Shell)


def action_model(name: object) -> type[StepBase] | None:
    return ACTIONS.get(name) if isinstance(name, str) else None


def unknown_action(name: object) -> str:
    close = difflib.get_close_matches(str(name), list(ACTIONS), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown action {name!r}{hint}; actions: {', '.join(ACTIONS)}"
