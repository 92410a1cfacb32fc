"""Shared fixtures for the unit suite: the in-package fakes, and the journal store backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
