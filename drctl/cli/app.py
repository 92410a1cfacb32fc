"""The application object the CLI builds once and passes down: state, clock, AWS, console."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from rich.console import Console

from drctl.aws.clients import ClientFactory
from drctl.aws.estate import Aws
from drctl.core.clock import Clock, SystemClock
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import InvalidInput
from drctl.store.base import Store
from drctl.store.dynamodb import DynamoStore
from drctl.store.sqlite import SqliteStore

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

    @cached_property
    def store(self) -> Store:
        if not self.state_url:
            return SqliteStore(self.state_dir / "journal.db")
        table, region = parse_state_url(self.state_url)
        store = DynamoStore(self.aws.factory.client("dynamodb", region), table)
        store.create_table()
        return store

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


def parse_state_url(url: str) -> tuple[str, str]:
    """`dynamodb://TABLE?region=R` -> (TABLE, R). InvalidInput for anything else."""
    parsed = urlparse(url)
    region = parse_qs(parsed.query).get("region", [os.environ.get("AWS_DEFAULT_REGION", "")])[0]
    if parsed.scheme != "dynamodb" or not parsed.netloc or not region:
        raise InvalidInput(f"--state {url!r}: use dynamodb://TABLE?region=REGION")
    return parsed.netloc, region
