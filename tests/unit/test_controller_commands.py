"""The commands a controller tells every channel (approve, reject, resume, abort) reach the
store it runs on: on a `--state` store they said `drctl approve RUN`, which on a laptop without
that store answered `no run 'RUN'` (measured on the sandbox: `drctl failover --resume RUN
--takeover` as notified, exit 2)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from drctl.controller.takeover import resume_command
from drctl.core.commands import drctl, use_store
from drctl.core.run import Run, RunStatus
from drctl.failover.approval import _announce
from drctl.notify.base import Notification
from tests.unit.helpers import T0

STATE = "dynamodb://drctl-state?region=us-east-1"


@pytest.fixture
def on_the_shared_store() -> Iterator[None]:
    use_store(STATE)
    try:
        yield
    finally:
        use_store(None)


class Inbox:
    def __init__(self) -> None:
        self.notes: list[Notification] = []

    def send(self, note: Notification) -> None:
        self.notes.append(note)


def commands_in(text: str) -> list[list[str]]:
    return [shlex.split(part) for part in text.split("`")[1::2]]


@pytest.mark.usefixtures("on_the_shared_store")
def test_the_approval_notification_names_the_store() -> None:
    inbox = Inbox()
    _announce("fa-1", "failover to us-west-2", "us-west-2", [inbox])  # type: ignore[list-item]
    (note,) = inbox.notes
    assert commands_in(note.text) == [["drctl", "--state", STATE, "approve", "fa-1"],
                                      ["drctl", "--state", STATE, "reject", "fa-1",
                                       "--reason", "…"]]


@pytest.mark.usefixtures("on_the_shared_store")
def test_the_resume_command_of_an_interrupted_failover_names_the_store() -> None:
    run = Run("fa-2", "failover", RunStatus.INTERRUPTED, T0)
    assert shlex.split(resume_command(run)) == ["drctl", "--state", STATE, "failover",
                                                "--resume", "fa-2", "--takeover"]


def test_without_a_store_of_its_own_the_commands_are_the_plain_ones() -> None:
    assert drctl("approve", "fa-3") == "drctl approve fa-3"
