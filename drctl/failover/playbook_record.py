"""The playbook a failover ran with, recorded so that it can be resumed from anywhere — and
only with that playbook.

A run journals the playbook's absolute path, its content's SHA-256 and the content itself. A
resume (`--resume RUN [--playbook P]`) loads P, or the recorded path, and refuses (exit 2,
with the difference) a file whose content is not the one the run started with: half a
failover done by one playbook and finished by another would change what nobody planned.
When the recorded file is gone (the directory it started in was cleaned up, another machine),
the journaled copy — the same content by construction — is written beside the journal and
used, with a warning naming both.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

import structlog

from drctl.core.errors import InvalidInput

log = structlog.get_logger("drctl.failover")

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


def playbook_for_resume(run_id: str, params: dict[str, Any], given: str | None,
                        restore_dir: Path | None = None) -> str:
    """The playbook to resume run `run_id` with: `given`, else the recorded path — or, when
    that file is gone and `restore_dir` is given, the copy the journal kept, written there
    (its content is the one the run started with, by its SHA-256). Raises InvalidInput when
    none is there or its content is not the one the run started with."""
    recorded = str(params.get("playbook_path") or "")
    path = given or recorded
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        restored = None if given or restore_dir is None else _restore(run_id, params,
                                                                      restore_dir)
        if restored is not None:
            return restored
        raise unreadable(run_id, path, exc) from None
    expected = params.get("playbook_sha256")
    if expected and hashlib.sha256(content).hexdigest() != expected:
        raise InvalidInput(
            f"{path} is not the playbook run {run_id} started with ({recorded}): its content "
            "differs",
            hint="resume with the same content (put it back, or pass --playbook COPY), or end "
                 f"the run with `drctl runs abort {run_id} --reason \"…\"` and start a new "
                 "failover. What differs:\n" + _diff(params, path, content))
    return path


def unreadable(run_id: str, path: str, exc: OSError) -> InvalidInput:
    """The refusal of a playbook that cannot be read to resume `run_id` with."""
    return InvalidInput(f"cannot read the playbook {path} to resume run {run_id}: "
                        f"{exc.strerror or exc}",
                        hint="give a copy of the playbook it started with (the same content): "
                             f"`drctl failover --resume {run_id} --playbook COPY`")


def _restore(run_id: str, params: dict[str, Any], directory: Path) -> str | None:
    """Write the journaled copy of the playbook to `directory`; None when the journal has no
    copy that is exactly what the run started with (journaled before copies, or not UTF-8)."""
    text = str(params.get("playbook_text") or "")
    content = text.encode("utf-8")
    if not text or hashlib.sha256(content).hexdigest() != params.get("playbook_sha256"):
        return None
    target = directory / f"{run_id}.yaml"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    except OSError:
        return None  # nowhere to write it: the operator gives a copy, as the hint says
    log.warning("playbook_gone_resumed_with_journaled_copy", recorded=params["playbook_path"],
                copy=str(target))
    return str(target)


def _diff(params: dict[str, Any], path: str, content: bytes) -> str:
    before = str(params.get("playbook_text") or "").splitlines()
    after = content.decode("utf-8", errors="replace").splitlines()
    lines = list(difflib.unified_diff(before, after, "as the run started", path, n=1,
                                      lineterm=""))
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more line(s)"]
    return "\n".join(lines)
