"""`aws.call`, `aws.wait`, `aws.assert`: an AWS API by name: once, until, or checked."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from drctl.core.errors import StepFailed
from drctl.runbook.actions.base import ActionEnv, within
from drctl.runbook.model import Model, Selector, StepBase, TemplatedDuration, seconds
from drctl.runbook.select import MISSING, select

# API name prefixes that only read: a step calling one may be re-run or run in a dry run.
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head", "Query", "Scan", "BatchGet",
                      "Search", "Lookup", "Select")


def is_read_only(api: str) -> bool:
    return api.startswith(READ_ONLY_PREFIXES)


class AwsCall(StepBase):
    TEMPLATED: ClassVar[tuple[str, ...]] = ("region", "args")

    action: Literal["aws.call"] = "aws.call"
    service: str = Field(description="as boto3 names it: dynamodb, ecs, route53 …")
    api: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$", description="AWS's PascalCase name")
    region: str
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def mutating(self) -> bool:
        return not is_read_only(self.api)

    def describe(self) -> str:
        return f"{self.service} {self.api} in {self.region}"

    def call(self, env: ActionEnv) -> dict[str, Any]:
        """The call, bounded by the step's timeout."""
        if self.mutating:
            env.announce({"service": self.service, "api": self.api, "region": self.region,
                          "args": self.args, "caller": env.caller()})
        return within(env, lambda: env.aws.api().call(self.service, self.api, self.region,
                                                      self.args),
                      self.describe(), self.mutating)

    def execute(self, env: ActionEnv) -> Any:
        return self.call(env)


class Condition(Model):
    selector: Selector
    equals: Any = None
    in_: list[Any] | None = Field(None, alias="in")
    matches: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [k for k in ("equals", "in_", "matches") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in or matches")
        if self.matches is not None:
            re.compile(self.matches)
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("equals", "in_", "matches") if k in self.model_fields_set)

    def holds(self, document: Any) -> tuple[bool, Any]:
        value = select(document, self.selector)
        if value is MISSING:
            return False, None
        if self.kind == "equals":
            return value == self.equals, value
        if self.kind == "in_":
            return value in (self.in_ or []), value
        return re.search(str(self.matches), str(value)) is not None, value

    def describe(self) -> str:
        wanted = {"equals": f"== {self.equals!r}", "in_": f"in {self.in_!r}",
                  "matches": f"matches {self.matches!r}"}[self.kind]
        return f"{self.selector} {wanted}"


class AwsWait(AwsCall):
    TEMPLATED = ("region", "args", "until")

    action: Literal["aws.wait"] = "aws.wait"  # type: ignore[assignment]
    until: Condition
    interval: TemplatedDuration = 5.0
    timeout: TemplatedDuration | None = 600.0

    @property
    def mutating(self) -> bool:
        return False  # lint refuses a wait on a mutating API

    def execute(self, env: ActionEnv) -> Any:
        last: dict[str, Any] = {}

        def check() -> bool:
            nonlocal last
            last = self.call(env)
            return self.until.holds(last)[0]

        env.ctx.wait_until(check, timeout=env.left(600.0), interval=seconds(self.interval),
                           what=f"{self.describe()}: {self.until.describe()}")
        return last


class AwsAssert(AwsCall):
    TEMPLATED = ("region", "args", "expect")

    action: Literal["aws.assert"] = "aws.assert"  # type: ignore[assignment]
    expect: Condition

    @property
    def mutating(self) -> bool:
        return False

    def execute(self, env: ActionEnv) -> Any:
        result = self.call(env)
        ok, value = self.expect.holds(result)
        if not ok:
            raise StepFailed(f"{self.describe()}: expected {self.expect.describe()}, "
                             f"found {value!r}")
        return result
