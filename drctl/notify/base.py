"""Notification channels. A channel that fails raises; the caller records it and goes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    @property
    def name(self) -> str:
        """A label safe to log and journal (never the secret URL)."""
        ...

    def send(self, note: Notification) -> str:
        """Deliver; returns a delivery id or description. Raises on failure."""
        ...


class MemoryChannel:
    """A channel for tests: keeps what it was sent, or fails when told to."""

    def __init__(self, name: str = "memory", fail: bool = False) -> None:
        self._name = name
        self.fail = fail
        self.sent: list[Notification] = []

    @property
    def name(self) -> str:
        return self._name

    def send(self, note: Notification) -> str:
        if self.fail:
            raise RuntimeError(f"{self._name} is down")
        self.sent.append(note)
        return f"{self._name}#{len(self.sent)}"
