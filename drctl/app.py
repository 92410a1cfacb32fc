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
from typing import TYPE_CHECKING, Self

from drctl.core.clock import Clock, SystemClock
from drctl.core.interrupt import Interruption

# Imported where first used, not here: every command's root callback builds an App, and
# `drctl failover --help` (or any help) must not pay for httpx, structlog, the playbook
# schema (pydantic), the engine and the AWS adapters (issue 15: 0.63 s of CPU).
if TYPE_CHECKING:
    import httpx

    from drctl.aws.estate import Aws
    from drctl.core.engine import Engine, Subscriber
    from drctl.core.identity import Identity
    from drctl.store.base import Store

DEFAULT_STATE_DIR = ".drctl"   # the sandbox's files, unless --state-dir says otherwise
DEFAULT_PLAYBOOK = "playbooks/roadtrip.yaml"
HTTP_TIMEOUT = 10.0


def default_journal_dir() -> Path:
    """One journal per user on this machine, wherever the shell is: `$XDG_STATE_HOME/drctl`
    (`~/.local/state/drctl`). A journal under the working directory would make an operator
    in a new shell elsewhere start an empty one, without the runs and locks of the first."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "drctl"


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
    # Where the SQLite journal lives: the state dir when one is given, else per user.
    journal_dir: Path | None = None
    # The command's playbook (None: the default one, if it is there): its `state:` names the
    # store when neither --state nor DRCTL_STATE does.
    playbook_path: str | None = None
    clock: Clock = field(init=False)  # a test may replace it after construction

    def __post_init__(self) -> None:
        self.clock = SystemClock(self.interrupt)
        if self.journal_dir is None:
            self.journal_dir = self.state_dir

    @classmethod
    def from_options(
        cls, state_dir: str | None, profile: str | None, state_url: str | None = None
    ) -> Self:
        chosen = state_dir or os.environ.get("DRCTL_STATE_DIR")
        if chosen:
            return cls(Path(chosen), profile, state_url)
        return cls(Path(DEFAULT_STATE_DIR), profile, state_url, journal_dir=_journal_dir())

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
        from drctl.store.open import store_url

        assert self.journal_dir is not None
        return store_url(self.journal_dir, self.state_url or self.playbook_state)

    @cached_property
    def playbook_state(self) -> str | None:
        """The shared store the playbook names (`state:`). The command's own playbook must
        load (its errors are the command's); a default playbook that does not is ignored."""
        from drctl.core.errors import DrctlError
        from drctl.playbook.loader import load_playbook

        path = self.playbook_path or DEFAULT_PLAYBOOK
        if self.playbook_path is None and not Path(path).is_file():
            return None
        try:
            return load_playbook(path).state
        except DrctlError:
            if self.playbook_path is not None:
                raise
            return None

    @cached_property
    def store(self) -> Store:
        from drctl.store.open import open_store

        return open_store(self.store_url, self.aws.factory)

    @cached_property
    def aws(self) -> Aws:
        from drctl.aws.clients import ClientFactory
        from drctl.aws.estate import Aws

        return Aws(ClientFactory(profile=self.profile))

    @cached_property
    def identity(self) -> Identity:
        from drctl.core.identity import Identity

        return Identity.of_this_process(caller_arn=lambda: self.aws.sts().caller_arn())

    @cached_property
    def http(self) -> httpx.Client:
        import httpx

        return httpx.Client(timeout=HTTP_TIMEOUT)

    def engine(self, subscribers: list[Subscriber]) -> Engine:
        from drctl.core.engine import Engine

        return Engine(self.store, self.clock, subscribers, interrupt=self.interrupt,
                      identity=self.identity)


def _journal_dir() -> Path:
    """The default journal; a journal left in ./.drctl by an older drctl is used (with a
    warning) rather than silently replaced by an empty one without its runs and locks."""
    legacy = Path(DEFAULT_STATE_DIR) / "journal.db"
    default = default_journal_dir()
    if legacy.exists() and legacy.resolve() != (default / "journal.db").resolve():
        import structlog

        structlog.get_logger("drctl.app").warning(
            "journal_in_working_directory", journal=str(legacy.resolve()),
            advice=f"the default journal is now {default}/journal.db: move {legacy}* there, "
                   "or set DRCTL_STATE_DIR")
        return Path(DEFAULT_STATE_DIR)
    return default
