"""The typed runbook: front matter and the fields every step has (pydantic, unknown keys refused).

Action-specific fields live with each action (drctl/runbook/actions/); the registry maps an
`action:` name to its model, so a step is validated by exactly the model of its action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from jsonpath_ng import parse as jsonpath_parse
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from drctl.core.durations import parse_duration
from drctl.core.errors import InvalidInput
from drctl.playbook.schema import Channel, Duration, Targets

if TYPE_CHECKING:
    from drctl.runbook.actions.base import ActionEnv

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
ON_FAILURE = re.compile(r"^(abort|continue|goto:(?P<target>[A-Za-z0-9][A-Za-z0-9_-]*))$")
ParamType = Literal["string", "integer", "number", "boolean", "list", "timestamp"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_selector(text: str) -> str:
    """A JSONPath selector jsonpath-ng can parse (`$.Table.TableStatus`)."""
    try:
        jsonpath_parse(text)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise ValueError(f"not a JSONPath selector: {text!r} ({exc})") from None
    return text


Selector = Annotated[str, BeforeValidator(lambda v: check_selector(str(v)))]

# Durations a step may take from a template (`timeout: "{{ params.wait }}"`): kept as text
# until the step runs, then rendered and checked like any duration (a bad one fails the step).
TEMPLATED_DURATIONS = ("timeout", "interval", "duration")


def duration_seconds(value: object) -> float:
    """Seconds of a duration (`90s`, `15m`, a number). ValueError naming the accepted forms."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not a duration: {value!r} (use 90s, 15m, 1h)")
    found = parse_duration(value)
    if found < 0:
        raise ValueError(f"a duration is not negative (got {value!r})")
    return found


def _duration_or_template(value: object) -> float | str:
    if isinstance(value, str) and "{{" in value:
        return value
    return duration_seconds(value)


TemplatedDuration = Annotated[float | str, BeforeValidator(_duration_or_template)]


def seconds(value: float | str) -> float:
    """A rendered duration's seconds. InvalidInput for one still a template (not rendered)."""
    if isinstance(value, str):
        raise InvalidInput(f"duration {value!r} is a template that was not rendered")
    return value


class Retry(Model):
    attempts: int = Field(1, ge=1, le=100, description="total attempts, the first included")
    delay: Duration = 5.0


class StepBase(Model):
    """Fields every step may have. `TEMPLATED` names the fields rendered with Jinja2."""

    TEMPLATED: ClassVar[tuple[str, ...]] = ()
    BUILTIN_OUTPUTS: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=ID_PATTERN)
    action: str
    title: str = ""
    timeout: TemplatedDuration | None = None
    retry: Retry = Field(default_factory=lambda: Retry.model_validate({}))
    on_failure: str = "abort"
    skip_if: str | None = None
    outputs: dict[str, Selector] = Field(default_factory=dict)

    @field_validator("on_failure")
    @classmethod
    def _on_failure(cls, value: str) -> str:
        if not ON_FAILURE.match(value):
            raise ValueError(f"on_failure is abort, continue or goto:<step id> (got {value!r})")
        return value

    @property
    def goto(self) -> str | None:
        match = ON_FAILURE.match(self.on_failure)
        return match.group("target") if match else None

    @property
    def mutating(self) -> bool:
        """Could running this step change something? (read-only steps re-run safely)."""
        return True

    def describe(self) -> str:
        return self.action

    def execute(self, env: ActionEnv) -> Any:
        """Do the step; returns its result document (what `outputs` select from)."""
        raise NotImplementedError


class ParamSpec(Model):
    type: ParamType = "string"
    default: Any = None
    description: str = ""

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set


class Measures(Model):
    """Which step's completion is the recovery; where the incident start and recovery point are."""

    recovery: str = Field(description="id of the step whose completion is the recovery")
    incident_start: str | None = Field(
        None, description="id of a step whose outputs.incident_start is when the incident "
                          "began (default: the run's start)")
    recovery_point: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*\.[A-Za-z0-9_]+$",
        description="STEP.OUTPUT holding the time of the newest data recovered")
    targets: Targets | None = Field(None, description="default: the playbook's targets")


class Approval(Model):
    timeout: Duration = 900.0
    allow_self_approval: bool = False


class FrontMatter(Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    owner: str = ""
    last_validated: date | None = None
    description: str = ""
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    allow_shell: bool = False
    notify: list[Channel] | None = Field(None, description="default: the playbook's channels")
    notify_region: str | None = Field(None, description="region for SNS notifications")
    approval: Approval = Approval()
    measures: Measures | None = None


@dataclass(frozen=True)
class RunStep:
    spec: StepBase
    line: int
    prose: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class Runbook:
    path: Path
    meta: FrontMatter
    steps: list[RunStep]
    intro: str = ""

    def index(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)

    def step(self, step_id: str) -> RunStep:
        return self.steps[self.index(step_id)]
