"""The runbooks in a folder (`runbooks/`), for `drctl runbook list` and for lint's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drctl.core.errors import InvalidInput
from drctl.runbook.lint import lint_runbook
from drctl.runbook.source import is_runbook_path

DEFAULT_DIR = "runbooks"


@dataclass(frozen=True)
class Entry:
    path: Path
    id: str | None
    title: str
    owner: str
    last_validated: str | None
    steps: int
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "owner": self.owner,
                "last_validated": self.last_validated, "steps": self.steps,
                "path": str(self.path), "errors": self.errors, "warnings": self.warnings}


def runbook_files(folder: Path) -> list[Path]:
    """Runbook files in `folder` (not its README). InvalidInput when it is not a folder."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: no such folder of runbooks")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and is_runbook_path(p) and p.name.lower() != "readme.md")


def catalog(folder: Path) -> list[Entry]:
    entries = []
    for path in runbook_files(folder):
        report = lint_runbook(path)
        book = report.runbook
        errors = sum(p.severity == "error" for p in report.problems)
        meta = book.meta if book else None
        entries.append(Entry(
            path, meta.id if meta else None, meta.title if meta else "(unreadable)",
            meta.owner if meta else "", str(meta.last_validated) if meta and
            meta.last_validated else None, len(book.steps) if book else 0, errors,
            len(report.problems) - errors))
    return entries
