"""`drctl runbook export --format ssm`: the runbook as an SSM Automation document (0.3).

Mapping: aws.call -> aws:executeAwsApi, aws.wait -> aws:waitForAwsResourceProperty,
aws.assert (equals/in) -> aws:assertAwsResourceProperty, approve -> aws:approve (approvers
from an `Approvers` document parameter), manual -> aws:pause, sleep -> aws:sleep; params ->
`parameters`; `{{ params.x }}` -> `{{ x }}` and `{{ steps.s.outputs.o }}` -> `{{ s.o }}`;
outputs -> `outputs` selectors, typed from the API's response shape. SSM calls every API in
the region the automation runs in, so the runbook's region becomes a first step asserting it
(`drctl-region-check`); each step's description carries its title and what the runbook says
of it (a manual step's instructions, an approval's summary, an API step's region). A step
with no SSM equivalent refuses the whole export (InvalidInput, naming every such step):
nothing partial is ever written.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes

from drctl.aws.generic import output_type
from drctl.core.errors import InvalidInput
from drctl.runbook.actions.aws import AwsAssert, AwsCall, AwsWait
from drctl.runbook.actions.human import Approve, Manual
from drctl.runbook.actions.misc import Sleep
from drctl.runbook.model import Runbook, RunStep, StepBase
from drctl.runbook.templates import Templates, path_of

REGION_CHECK = "drctl-region-check"
PARAM_TYPES = {"string": "String", "integer": "Integer", "boolean": "Boolean",
               "list": "StringList", "timestamp": "String"}
APPROVERS = "Approvers"


class NotExportable(Exception):
    pass


def export_ssm(runbook: Runbook) -> dict[str, Any]:
    """The document, or InvalidInput listing every step (and param) SSM cannot express."""
    converter = _Converter()
    problems: list[str] = []
    parameters = _parameters(runbook, problems)
    steps = []
    guard = _region_guard(runbook, converter)
    if guard is not None:
        steps.append(guard)
    for step in runbook.steps:
        try:
            steps.append(_step(step, converter))
        except NotExportable as exc:
            problems.append(f"{step.id} ({step.spec.action}): {exc}")
        if isinstance(step.spec, AwsCall) and step.spec.action == "aws.call":
            converter.produced.update((step.id, name) for name in step.spec.outputs)
    region = _one_region(runbook, problems)
    if problems:
        raise InvalidInput(f"runbook {runbook.meta.id} cannot be an SSM Automation document: "
                           + "; ".join(problems))
    if any(s.spec.action == "approve" for s in runbook.steps):
        parameters[APPROVERS] = {"type": "StringList", "description": "IAM users or roles "
                                 "who may approve the approve steps"}
    guarded = f" Its first step, {REGION_CHECK}, stops it in any other region." \
        if guard is not None else ""
    return {"schemaVersion": "0.3",
            "description": f"{runbook.meta.title} (exported by drctl from runbook "
                           f"{runbook.meta.id}). Start it in {region}: SSM makes every API "
                           f"call in the region the automation runs in.{guarded}",
            "parameters": parameters, "mainSteps": steps}


def _region_guard(runbook: Runbook, convert: _Converter) -> dict[str, Any] | None:
    """SSM has no region per call: the runbook's region becomes a first step asserting the
    automation runs there (the region EC2 answers in), so a start elsewhere fails at once
    instead of acting on another region's resources."""
    regions = {s.spec.region for s in runbook.steps if isinstance(s.spec, AwsCall)}
    if len(regions) != 1:
        return None  # none to check, or several (refused by _one_region)
    try:
        wanted = convert.value(next(iter(regions)))
    except NotExportable:
        return None  # the region's template is refused with the step that uses it
    return {"name": REGION_CHECK, "action": "aws:assertAwsResourceProperty",
            "description": f"The automation runs in {wanted}, the region the runbook's "
                           "steps act in.",
            "inputs": {"Service": "ec2", "Api": "DescribeAvailabilityZones",
                       "PropertySelector": "$.AvailabilityZones[0].RegionName",
                       "DesiredValues": [str(wanted)]},
            "onFailure": "Abort"}


def _one_region(runbook: Runbook, problems: list[str]) -> str:
    """SSM has no region per step: every AWS step must name the same one."""
    regions = {s.spec.region for s in runbook.steps if isinstance(s.spec, AwsCall)}
    if len(regions) > 1:
        problems.append(f"its AWS steps use several regions ({', '.join(sorted(regions))}); "
                        "an SSM automation makes every call in the one region it runs in")
    if not regions:
        return "any region"
    region = next(iter(regions))
    try:
        converted = _Converter().value(region)
    except NotExportable:
        return region
    return f"the region of parameter {converted.strip('{} ')}" if converted != region else region


def _parameters(runbook: Runbook, problems: list[str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for name, spec in runbook.meta.params.items():
        if spec.type not in PARAM_TYPES:
            problems.append(f"param {name}: SSM has no {spec.type} parameter type")
            continue
        entry: dict[str, Any] = {"type": PARAM_TYPES[spec.type]}
        if spec.description:
            entry["description"] = spec.description
        if not spec.required:
            entry["default"] = spec.default
        parameters[name] = entry
    return parameters


def _step(step: RunStep, convert: _Converter) -> dict[str, Any]:
    spec = step.spec
    if spec.skip_if:
        raise NotExportable("skip_if has no SSM equivalent")
    action, inputs, outputs = _action(spec, convert)
    out: dict[str, Any] = {"name": spec.id, "action": action, "inputs": inputs}
    description = _description(spec, convert)
    if description:
        out["description"] = description
    if outputs:
        out["outputs"] = outputs
    if spec.timeout is not None:
        out["timeoutSeconds"] = _whole_seconds(spec.timeout, "timeout")
    if spec.retry.attempts > 1:
        out["maxAttempts"] = spec.retry.attempts
    out["onFailure"] = {"abort": "Abort", "continue": "Continue"}.get(
        spec.on_failure, f"step:{spec.goto}")
    return out


def _description(spec: StepBase, convert: _Converter) -> str:
    """The step's title, and what the runbook says of it: where an API step acts, what a
    person reads at a manual step (aws:pause has no input for it) or an approval."""
    said = ""
    if isinstance(spec, Manual):
        said = _as_text(spec.instructions, convert)
    elif isinstance(spec, Approve):
        said = _as_text(spec.summary, convert)
    elif isinstance(spec, AwsCall):
        said = f"{spec.service} {spec.api} in {_as_text(spec.region, convert)}"
    return "\n\n".join(part for part in (spec.title, said) if part)


def _as_text(value: str, convert: _Converter) -> str:
    """In SSM's template syntax where it converts; prose for a person stays as written."""
    try:
        return str(convert.value(value))
    except NotExportable:
        return value


def _action(spec: StepBase, convert: _Converter
            ) -> tuple[str, dict[str, Any], list[dict[str, str]]]:
    if isinstance(spec, AwsWait | AwsAssert):
        condition = spec.until if isinstance(spec, AwsWait) else spec.expect
        if condition.kind == "matches":
            raise NotExportable("an assert with `matches` has no SSM equivalent")
        wanted = [condition.equals] if condition.kind == "equals" else list(condition.in_ or [])
        action = "aws:waitForAwsResourceProperty" if isinstance(spec, AwsWait) \
            else "aws:assertAwsResourceProperty"
        inputs = {**_api_inputs(spec, convert), "PropertySelector": condition.selector,
                  "DesiredValues": [str(convert.value(v)) for v in wanted]}
        return action, inputs, []
    if isinstance(spec, AwsCall):
        outputs = [{"Name": name, "Selector": selector,
                    "Type": output_type(spec.service, spec.api, selector)}
                   for name, selector in spec.outputs.items()]
        return "aws:executeAwsApi", _api_inputs(spec, convert), outputs
    if isinstance(spec, Approve):
        inputs = {"Approvers": f"{{{{ {APPROVERS} }}}}", "MinRequiredApprovals": 1}
        if spec.summary:
            inputs["Message"] = convert.value(spec.summary)
        return "aws:approve", inputs, []
    if isinstance(spec, Manual):
        return "aws:pause", {}, []
    if isinstance(spec, Sleep):
        return "aws:sleep", {"Duration": f"PT{_whole_seconds(spec.duration, 'duration')}S"}, []
    raise NotExportable("no SSM Automation equivalent")


def _whole_seconds(value: float | str, name: str) -> int:
    if isinstance(value, str):
        raise NotExportable(f"a templated {name} ({value}) has no SSM equivalent")
    return int(value)


def _api_inputs(spec: AwsCall, convert: _Converter) -> dict[str, Any]:
    return {"Service": spec.service, "Api": spec.api, **convert.value(spec.args)}


class _Converter:
    """Jinja2 templates to SSM's `{{ name }}` syntax; only plain name paths convert."""

    def __init__(self) -> None:
        self._templates = Templates()
        self.produced: set[tuple[str, str]] = set()  # (step, output) SSM steps do output

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str) and "{" in value:
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        parts: list[str] = []
        for node in self._templates.parse(text).body:
            if not isinstance(node, nodes.Output):
                raise NotExportable(f"template {text!r} uses logic SSM does not have")
            parts.extend(self._piece(text, piece) for piece in node.nodes)
        return "".join(parts)

    def _piece(self, text: str, node: nodes.Node) -> str:
        if isinstance(node, nodes.TemplateData):
            return str(node.data)
        path = path_of(node)
        if path and path[0] == "params" and len(path) == 2:
            return f"{{{{ {path[1]} }}}}"
        if path and path[0] == "steps" and len(path) == 4 and path[2] == "outputs":
            if (path[1], path[3]) not in self.produced:
                raise NotExportable(f"steps.{path[1]}.outputs.{path[3]}: in SSM only "
                                    "aws:executeAwsApi steps have outputs")
            return f"{{{{ {path[1]}.{path[3]} }}}}"
        raise NotExportable(f"template {text!r}: only params.X and steps.ID.outputs.NAME "
                            "have SSM equivalents")
