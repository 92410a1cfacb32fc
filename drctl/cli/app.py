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
from drctl.store.sqlite import SqliteStore

DEFAULT_STATE_DIR = ".drctl"
DEFAULT_PLAYBOOK = "playbooks/roadtrip.yaml"


@dataclass
class Application:
    state_dir: Path
    profile: str | None = None
    json_output: bool = False
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_options(cls, state_dir: str | None, profile: str | None) -> Application:
        chosen = state_dir or os.environ.get("DRCTL_STATE_DIR") or DEFAULT_STATE_DIR
        return cls(Path(chosen), profile)

    @cached_property
    def store(self) -> SqliteStore:
        return SqliteStore(self.state_dir / "journal.db")

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
