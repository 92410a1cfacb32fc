"""What an action gets to do its work, and the contract every action model follows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from drctl.aws.estate import Aws
from drctl.core.operator import Operator
from drctl.core.step import StepContext
from drctl.failover.approval import Person
from drctl.notify.base import Channel


@dataclass
class ActionEnv:
    """A step's collaborators. `caller` names the AWS identity (asked once, lazily), `person`
    is who is at this terminal (OS user and AWS identity, as approvals compare them);
    `drctl` is the argv prefix that runs drctl itself (a `drctl` step's sub-run)."""

    aws: Aws
    ctx: StepContext
    operator: Operator
    channels: list[Channel]
    caller: Callable[[], str]
    person: Callable[[], Person]
    runbook_title: str = ""
    allow_shell: bool = False
    approval_timeout: float = 900.0
    drctl: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    step_id: str = ""
    timeout: float | None = None
    announce: Callable[[dict[str, Any]], None] = lambda call: None
    http: httpx.Client | None = None  # the host's client (injectable); None: a default one
