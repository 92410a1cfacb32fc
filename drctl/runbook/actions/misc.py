"""`http` (a URL answers as expected) and `sleep` (wait a while; the wait is journaled)."""

from __future__ import annotations

import contextlib
from typing import Any, Literal

import httpx
from pydantic import Field

from drctl.core.errors import StepFailed
from drctl.runbook.actions.base import ActionEnv
from drctl.runbook.model import StepBase, TemplatedDuration, seconds

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Http(StepBase):
    TEMPLATED = ("url", "contains")
    BUILTIN_OUTPUTS = ("status",)

    action: Literal["http"] = "http"
    url: str
    method: Literal["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    expect_status: int = Field(200, ge=100, le=599)
    contains: str | None = None

    @property
    def mutating(self) -> bool:
        return self.method not in SAFE_METHODS

    def describe(self) -> str:
        return f"{self.method} {self.url}"

    def execute(self, env: ActionEnv) -> Any:
        client = env.http or httpx.Client()
        limit = env.left(30.0)
        try:
            response = client.request(self.method, self.url, timeout=limit)
        except httpx.TimeoutException:
            bound = "30s" if env.deadline is None or env.deadline.at is None \
                else f"the step's timeout ({env.deadline.describe()})"
            raise StepFailed(f"{self.describe()}: no answer within {bound}") from None
        except httpx.HTTPError as exc:
            raise StepFailed(f"{self.describe()}: {type(exc).__name__}: {exc}") from None
        if response.status_code != self.expect_status:
            raise StepFailed(f"{self.describe()}: HTTP {response.status_code}, expected "
                             f"{self.expect_status}")
        if self.contains is not None and self.contains not in response.text:
            raise StepFailed(f"{self.describe()}: the body does not contain {self.contains!r}")
        result: dict[str, Any] = {"status": response.status_code, "body": response.text}
        with contextlib.suppress(ValueError):  # a body that is not JSON has no `json`
            result["json"] = response.json()
        return result


class Sleep(StepBase):
    action: Literal["sleep"] = "sleep"
    duration: TemplatedDuration

    @property
    def mutating(self) -> bool:
        return False

    def describe(self) -> str:
        wanted = self.duration
        return f"sleep {wanted}" if isinstance(wanted, str) else f"sleep {wanted:g}s"

    def execute(self, env: ActionEnv) -> Any:
        wanted, start = seconds(self.duration), env.ctx.now()
        while (left := wanted - (env.ctx.now() - start).total_seconds()) > 0:
            env.left(0.0)  # a sleep longer than the step's timeout fails when it runs out
            env.ctx.interrupt.check()
            env.ctx.clock.sleep(min(1.0, left))  # short naps: an interruption is seen soon
        return {"slept_seconds": wanted}
