"""The playbook a failover ran with, recorded so that it can be resumed from anywhere — and
only with that playbook.

A run journals the playbook's absolute path, its content's SHA-256 and the content itself. A
resume (`--resume RUN [--playbook P]`) loads P, or the recorded path, and refuses (exit 2,
with the difference) a file whose content is not the one the run started with: half a
failover done by one playbook and finished by another would change what nobody planned.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

from drctl.core.errors import InvalidInput

DIFF_LINES = 40  # enough to see what changed; the rest is cut, with a note


def record(path: str) -> dict[str, str]:
    """The run parameters that identify the playbook at `path` (only its path when there is no
    such file: a playbook built in memory, whose resume then cannot compare contents)."""
    where = Path(path).resolve()
    try:
        content = where.read_bytes()
    except OSError:
        return {"playbook_path": str(where)}
    return {"playbook_path": str(where), "playbook_sha256": hashlib.sha256(content).hexdigest(),
            "playbook_text": content.decode("utf-8", errors="replace")}


def playbook_for_resume(run_id: str, params: dict[str, Any], given: str | None) -> str:
    """The playbook to resume run `run_id` with: `given`, else the recorded path. Raises
    InvalidInput when it is not there or its content is not the one the run started with."""
    recorded = str(params.get("playbook_path") or "")
    path = given or recorded
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the playbook {path} to resume run {run_id}: "
                           f"{exc.strerror or exc}",
                           hint="pass --playbook P: a copy of the playbook it started with"
                           ) from None
    expected = params.get("playbook_sha256")
    if expected and hashlib.sha256(content).hexdigest() != expected:
        raise InvalidInput(
            f"{path} is not the playbook run {run_id} started with ({recorded}): its content "
            "differs",
            hint="resume with the same content (put it back, or pass --playbook COPY), or end "
                 f"the run with `drctl runs abort {run_id} --reason \"…\"` and start a new "
                 "failover. What differs:\n" + _diff(params, path, content))
    return path


def _diff(params: dict[str, Any], path: str, content: bytes) -> str:
    before = str(params.get("playbook_text") or "").splitlines()
    after = content.decode("utf-8", errors="replace").splitlines()
    lines = list(difflib.unified_diff(before, after, "as the run started", path, n=1,
                                      lineterm=""))
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more line(s)"]
    return "\n".join(lines)
