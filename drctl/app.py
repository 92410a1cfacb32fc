"""The composition root: builds what every host of runs needs, once, and passes it down.

The CLI (`drctl/cli/app.py` adds the console on top) and any long-lived host (the controller)
use it; the library never builds its own store, AWS clients, clock or identity.

- `interrupt`: the port runs are stopped through (the CLI feeds it from signals);
- `clock`: the system clock, its sleeps interruptible through that port;
- `identity`: this process (uid's account name, host, pid, start token; the AWS principal
  looked up on first use);
- `store`, `aws`, `http`: built on first use, so a command that needs none opens none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Self

import httpx

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.core.clock import Clock, SystemClock
from drctl.core.engine import Engine, Subscriber
from drctl.core.identity import Identity
from drctl.core.interrupt import Interruption
from drctl.store.base import Store
from drctl.store.open import open_store, store_url

DEFAULT_STATE_DIR = ".drctl"
DEFAULT_PLAYBOOK = "playbooks/roadtrip.yaml"
HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Collaborators:
    """Collaborators a host hands in instead of the ones App would build (the in-process CLI
    tests: the fake Aws, an httpx MockTransport client, a fake clock)."""

    aws: Aws | None = None
    http: httpx.Client | None = None
    clock: Clock | None = None


@dataclass
class App:
    state_dir: Path
    profile: str | None = None
    state_url: str | None = None  # dynamodb://TABLE?region=R shares runs, locks, approvals
    interrupt: Interruption = field(default_factory=Interruption)
    clock: Clock = field(init=False)  # a test may replace it after construction

    def __post_init__(self) -> None:
        self.clock = SystemClock(self.interrupt)

    @classmethod
    def from_options(
        cls, state_dir: str | None, profile: str | None, state_url: str | None = None
    ) -> Self:
        chosen = state_dir or os.environ.get("DRCTL_STATE_DIR") or DEFAULT_STATE_DIR
        return cls(Path(chosen), profile, state_url)

    def use(self, given: Collaborators) -> None:
        """Take `given`'s collaborators in place of building them."""
        if given.aws is not None:
            self.__dict__["aws"] = given.aws  # what the cached property would have built
        if given.http is not None:
            self.__dict__["http"] = given.http
        if given.clock is not None:
            self.clock = given.clock

    @property
    def store_url(self) -> str:
        return store_url(self.state_dir, self.state_url)

    @cached_property
    def store(self) -> Store:
        return open_store(self.store_url, self.aws.factory)

    @cached_property
    def aws(self) -> Aws:
        return Aws(ClientFactory(profile=self.profile))

    @cached_property
    def identity(self) -> Identity:
        return Identity.of_this_process(caller_arn=lambda: self.aws.sts().caller_arn())

    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(timeout=HTTP_TIMEOUT)

    def engine(self, subscribers: list[Subscriber]) -> Engine:
        return Engine(self.store, self.clock, subscribers, interrupt=self.interrupt,
                      identity=self.identity)
