"""What can be known wrong from the params alone is refused before a run starts (InvalidInput,
exit 2, nothing run): a templated duration that is not one, and a point-in-time restore asked
for a time that has not happened yet. Without this the run would ask a person, wait for a
second person's approval, and only then hear AWS refuse the restore."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drctl.core.clock import iso, parse_iso
from drctl.core.errors import InvalidInput
from drctl.runbook.actions.aws import AwsCall
from drctl.runbook.model import TEMPLATED_DURATIONS, Runbook, RunStep, duration_seconds
from drctl.runbook.templates import Templates

# The argument holding the point to restore to, per point-in-time restore API.
POINT_IN_TIME = {
    ("dynamodb", "RestoreTableToPointInTime"): "RestoreDateTime",
    ("rds", "RestoreDBInstanceToPointInTime"): "RestoreTime",
    ("rds", "RestoreDBClusterToPointInTime"): "RestoreToTime",
}


def check_before_start(runbook: Runbook, values: dict[str, Any], now: datetime) -> None:
    """Every check that needs only the typed params. InvalidInput naming the runbook's
    file:line, the step and the value."""
    templates = Templates()
    for step in runbook.steps:
        _durations(runbook, step, values, templates)
        _restore_point(runbook, step, values, templates, now)


def _from_params(templates: Templates, text: Any) -> bool:
    """A template that reads params only (a step's outputs are not known before it runs)."""
    return isinstance(text, str) and \
        all(ref[0] == "params" for ref in templates.references(text))


def _durations(runbook: Runbook, step: RunStep, values: dict[str, Any],
               templates: Templates) -> None:
    for name in TEMPLATED_DURATIONS:
        text = getattr(step.spec, name, None)
        if not _from_params(templates, text):
            continue
        rendered = templates.render(text, {"params": values})
        try:
            duration_seconds(rendered)
        except ValueError as exc:
            raise _refused(runbook, step, f"{name} {text} rendered {rendered!r}: {exc}") \
                from None


def _restore_point(runbook: Runbook, step: RunStep, values: dict[str, Any],
                   templates: Templates, now: datetime) -> None:
    spec = step.spec
    if not isinstance(spec, AwsCall) or (spec.service, spec.api) not in POINT_IN_TIME:
        return
    arg = POINT_IN_TIME[(spec.service, spec.api)]
    text = spec.args.get(arg)
    if text is None or not _from_params(templates, text):
        return
    rendered = templates.render(text, {"params": values})
    said = f"{spec.api} {arg} {rendered}" + (f" (from {text})" if rendered != text else "")
    try:
        point = rendered if isinstance(rendered, datetime) else parse_iso(str(rendered))
    except ValueError:
        raise _refused(runbook, step, f"{said} is not a point in time (ISO 8601 with its "
                       "offset, e.g. 2026-12-01T09:11:00Z)") from None
    if point > now:
        raise _refused(runbook, step, f"{said} is in the future (it is now {iso(now)}): a "
                       "point-in-time restore goes back to a moment that has passed")


def _refused(runbook: Runbook, step: RunStep, message: str) -> InvalidInput:
    return InvalidInput(f"{runbook.path}:{step.line}: step {step.id}: {message}")

