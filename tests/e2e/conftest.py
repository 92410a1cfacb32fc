"""Sandbox fixtures for end-to-end tests: real supervisor processes, real HTTP, real boto3.

- `sandbox`: one sandbox per test module. Its replication lag is 5 s unless the module says
  otherwise with `pytestmark = pytest.mark.sandbox(lag=3.0)` (or indirect parametrization).
- `make_sandbox(lag=...)`: a fresh sandbox for one test; stopped when the test ends.
- `use_sandbox(info)`: point this test's environment (AWS_ENDPOINT_URL, dummy credentials,
  ROADTRIP_API_*) at a sandbox; returns a ClientFactory built with that environment.
- `sandbox_env` / `aws`: the same for the module's `sandbox`.

Every sandbox started here is stopped by pid at teardown, and the teardown asserts it is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo

DEFAULT_LAG = 5.0

# Variables that could point a test's boto3 at a real account instead of the sandbox.
_REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sandbox(lag=5.0): replication lag of the test module's sandbox, in seconds"
    )


def stop_and_confirm(info: SandboxInfo) -> None:
    manager.stop(info.state_dir)
    assert not Path(f"/proc/{info.pid}").exists(), f"sandbox supervisor {info.pid} survived stop"
    assert manager.status(info.state_dir) is None


class SandboxFactory:
    """Starts sandboxes in numbered state directories under `base`, and stops them all."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._started: list[SandboxInfo] = []

    def __call__(self, lag: float = DEFAULT_LAG) -> SandboxInfo:
        state_dir = self._base / f"sandbox-{len(self._started)}"
        info = manager.start(state_dir, port=0, replication_lag=lag)
        self._started.append(info)
        return info

    def stop_all(self) -> None:
        while self._started:
            stop_and_confirm(self._started.pop())


@pytest.fixture(scope="module")
def sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxInfo]:
    marker = request.node.get_closest_marker("sandbox")
    lag = marker.kwargs.get("lag", DEFAULT_LAG) if marker else DEFAULT_LAG
    lag = getattr(request, "param", lag)
    factory = SandboxFactory(tmp_path_factory.mktemp("sandbox"))
    try:
        yield factory(lag=lag)
    finally:
        factory.stop_all()


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxInfo]]:
    factory = SandboxFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


def export_sandbox(monkeypatch: pytest.MonkeyPatch, info: SandboxInfo) -> dict[str, str]:
    for name in _REAL_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    exports = manager.env_exports(info)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    return exports


@pytest.fixture
def use_sandbox(monkeypatch: pytest.MonkeyPatch) -> Callable[[SandboxInfo], ClientFactory]:
    def activate(info: SandboxInfo) -> ClientFactory:
        export_sandbox(monkeypatch, info)
        # Built while the environment is set: boto3 reads endpoint and credentials from it.
        return ClientFactory()

    return activate


@pytest.fixture
def sandbox_env(sandbox: SandboxInfo, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The module sandbox's exports, set in os.environ for this test (restored afterwards)."""
    return export_sandbox(monkeypatch, sandbox)


@pytest.fixture
def aws(sandbox_env: dict[str, str]) -> ClientFactory:
    """Clients for the module's sandbox (the environment stays set for the whole test, so
    clients built lazily inside the test point at the sandbox too)."""
    return ClientFactory()
