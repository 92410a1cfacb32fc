"""Shared fixtures for the unit suite: the in-package fakes, and the journal store backends."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from drctl.core.clock import FakeClock
from drctl.store.base import Store
from drctl.store.memory import MemoryStore
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def make_store(backend: str, tmp_path: Path) -> Store:
    if backend == "memory":
        return MemoryStore()
    return SqliteStore(tmp_path / "j.db")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every journal backend; tests using it are the store contract."""
    backend = make_store(request.param, tmp_path)
    yield backend
    backend.close()


@pytest.fixture(autouse=True)
def cli_process_settings_restored() -> Iterator[None]:
    """An in-process CLI test runs the CLI's root callback, which binds structlog to that
    test's captured stderr and may install signal handlers; both are put back after every
    test, so no later test logs into a closed stream or inherits a handler."""
    logging = structlog.get_config()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM,
                                                       signal.SIGHUP)}
    yield
    structlog.configure(**logging)
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)
