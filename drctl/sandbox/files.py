"""Where a sandbox keeps its files under a drctl state directory, and how they are written.

In `<state_dir>/sandbox/`:
- `state.json`: the state document, present only while the sandbox is ready;
- `pid`: the supervisor's pid, written by the manager;
- `supervisor.log`: the supervisor's log (and its stdout/stderr).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SandboxFiles:
    state_dir: Path

    @property
    def directory(self) -> Path:
        return self.state_dir / "sandbox"

    @property
    def state(self) -> Path:
        return self.directory / "state.json"

    @property
    def pid(self) -> Path:
        return self.directory / "pid"

    @property
    def log(self) -> Path:
        return self.directory / "supervisor.log"

    def ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def read_state(self) -> dict[str, Any] | None:
        """The state document, or None when there is none (or it is half-written by a crash)."""
        try:
            document = json.loads(self.state.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return document if isinstance(document, dict) else None

    def read_pid(self) -> int | None:
        try:
            return int(self.pid.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def remove(self, *paths: Path) -> None:
        for path in paths:
            path.unlink(missing_ok=True)


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
