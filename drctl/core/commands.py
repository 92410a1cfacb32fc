"""The drctl commands the tool prints for people to run (hints, notifications): they must work
where they are read. A controller on a store given by `--state` tells every channel to approve,
resume or abort its runs; a person elsewhere reaches those runs only through that store, so
such a process prints `--state URL` in its commands (`use_store`). Without it, the commands
are the plain ones (the store comes from the reader's own DRCTL_STATE or the playbook)."""

from __future__ import annotations

import shlex

_store: list[str] = []   # the --state URL to print, set by the process that owns it


def use_store(url: str | None) -> None:
    """Print `--state url` in every command from now on (None: stop)."""
    _store[:] = [url] if url else []


def drctl(*words: str) -> str:
    """`drctl WORDS`, with this process's --state when it set one (`use_store`)."""
    state = [f"--state {shlex.quote(_store[0])}"] if _store else []
    return " ".join(["drctl", *state, *words])
