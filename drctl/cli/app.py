"""The CLI's application object: the composition root (drctl/app.py) plus the console."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from drctl.app import DEFAULT_PLAYBOOK, DEFAULT_STATE_DIR, App

__all__ = ["DEFAULT_PLAYBOOK", "DEFAULT_STATE_DIR", "Application"]


@dataclass
class Application(App):
    json_output: bool = False

    @property
    def console(self) -> Console:
        """Where people read progress: stderr when stdout carries JSON."""
        console = Console(stderr=self.json_output, highlight=False)
        if not console.is_terminal:
            console = Console(stderr=self.json_output, highlight=False, width=160)
        return console
