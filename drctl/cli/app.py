"""The application object the CLI builds once and passes down: state, clock, AWS, console."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.core.clock import Clock, SystemClock
from drctl.core.engine import Engine, Subscriber
from drctl.store.base import Store
from drctl.store.open import open_store, store_url

DEFAULT_STATE_DIR = ".drctl"
DEFAULT_PLAYBOOK = "playbooks/roadtrip.yaml"


@dataclass
class Application:
    state_dir: Path
    profile: str | None = None
    state_url: str | None = None  # dynamodb://TABLE?region=R shares runs, locks, approvals
    json_output: bool = False
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_options(
        cls, state_dir: str | None, profile: str | None, state_url: str | None = None
    ) -> Application:
        chosen = state_dir or os.environ.get("DRCTL_STATE_DIR") or DEFAULT_STATE_DIR
        return cls(Path(chosen), profile, state_url)

    @property
    def store_url(self) -> str:
        return store_url(self.state_dir, self.state_url)

    @cached_property
    def store(self) -> Store:
        return open_store(self.store_url, self.aws.factory)

    @cached_property
    def aws(self) -> Aws:
        return Aws(ClientFactory(profile=self.profile))

    @property
    def console(self) -> Console:
        """Where people read progress: stderr when stdout carries JSON."""
        console = Console(stderr=self.json_output, highlight=False)
        if not console.is_terminal:
            console = Console(stderr=self.json_output, highlight=False, width=160)
        return console

    def engine(self, subscribers: list[Subscriber]) -> Engine:
        return Engine(self.store, self.clock, subscribers)

