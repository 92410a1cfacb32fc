"""Starting, finding, controlling and stopping the sandbox -- the API behind `drctl sandbox ...`.

The sandbox of a state directory is its supervisor process, recorded in
`<state_dir>/sandbox/pid`, and ready once `<state_dir>/sandbox/state.json` exists and its control
API answers. Every function takes the state directory; there is no other global.

Errors: `SandboxError` (exit 1) when a sandbox cannot start, is not running or does not answer;
`InvalidInput` (exit 2) for an unknown region or an impossible setting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drctl.core.errors import InvalidInput, SandboxError
from drctl.sandbox import process
from drctl.sandbox.control_client import ControlClient
from drctl.sandbox.faults import FaultSettings
from drctl.sandbox.files import SandboxFiles


@dataclass(frozen=True)
class SandboxInfo:
    pid: int
    endpoint_url: str
    primary: str
    secondary: str
    apps: dict[str, str]
    replication_lag_seconds: float
    state_dir: Path

    @property
    def regions(self) -> tuple[str, str]:
        return (self.primary, self.secondary)

    @classmethod
    def from_document(cls, document: dict[str, Any], state_dir: Path) -> SandboxInfo:
        return cls(
            pid=int(document["pid"]),
            endpoint_url=str(document["endpoint_url"]),
            primary=str(document["regions"]["primary"]),
            secondary=str(document["regions"]["secondary"]),
            apps={str(k): str(v) for k, v in document["apps"].items()},
            replication_lag_seconds=float(document["replication_lag_seconds"]),
            state_dir=state_dir,
        )


def start(
    state_dir: Path, port: int = 0, replication_lag: float = 5.0, timeout: float = 60,
    faults: dict[str, Any] | None = None, estate_size: int = 0,
) -> SandboxInfo:
    """Start a sandbox for `state_dir` and wait until it is ready: seeded, and in steady
    state (a heartbeat replicated to the other region, the alarms evaluated).

    Refuses (SandboxError) if one is already running there. If the supervisor dies or is not
    ready within `timeout` seconds plus the replication lag (the first heartbeat takes that long
    to replicate), it is stopped and SandboxError carries the end of its log.
    """
    _check_settings(port, replication_lag)
    files = SandboxFiles(Path(state_dir).resolve())
    _refuse_if_running(files)
    files.ensure_directory()
    supervisor = _spawn(files, port, replication_lag, faults or {}, estate_size)
    files.pid.write_text(f"{supervisor.pid}\n")
    try:
        return _wait_ready(files, supervisor, timeout + replication_lag)
    except BaseException:
        process.terminate(supervisor.pid, timeout=5)
        files.remove(files.pid, files.state)
        raise


def status(state_dir: Path) -> SandboxInfo | None:
    """The running sandbox of `state_dir`, or None. Files left by a dead one are removed.
    Raises SandboxError when the supervisor runs but has not (yet) written its state."""
    files = SandboxFiles(Path(state_dir).resolve())
    pid = _live_pid(files)
    if pid is None:
        return None
    document = files.read_state()
    if document is None:
        raise SandboxError(
            f"the sandbox supervisor (pid {pid}) is running but not ready",
            hint=f"it may still be starting; its log is {files.log}",
        )
    return SandboxInfo.from_document(document, files.state_dir)


def stop(state_dir: Path, timeout: float = 15) -> bool:
    """Stop the sandbox of `state_dir`: SIGTERM its supervisor, SIGKILL after `timeout`.
    Returns False when none was running. Only a pid verified as our supervisor is signalled."""
    files = SandboxFiles(Path(state_dir).resolve())
    pid = _live_pid(files)
    if pid is not None:
        process.terminate(pid, timeout)
    files.remove(files.pid, files.state)
    return pid is not None


def env_exports(info: SandboxInfo, as_user: str | None = None) -> dict[str, str]:
    """The environment that points AWS SDKs, chaostoolkit-aws and drctl at this sandbox; with
    `as_user`, as that seeded IAM user (InvalidInput naming the seeded ones otherwise)."""
    key, secret = operator_keys(info, as_user) if as_user else ("testing", "testing")
    exports = {
        "AWS_ENDPOINT_URL": info.endpoint_url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": info.primary,
        "DRCTL_SANDBOX_STATE_DIR": str(info.state_dir),
    }
    for region, url in info.apps.items():
        exports[app_env_var(region)] = url
    return exports


def operator_keys(info: SandboxInfo, name: str) -> tuple[str, str]:
    """The access key pair of the seeded IAM user `name`."""
    document = SandboxFiles(info.state_dir).read_state() or {}
    operators = document.get("seeded", {}).get("operators", {})
    if name not in operators:
        known = ", ".join(sorted(operators)) or "none"
        raise InvalidInput(f"--as {name!r}: the sandbox has no such operator (seeded: {known})")
    return operators[name]["access_key_id"], operators[name]["secret_access_key"]


def app_env_var(region: str) -> str:
    """`us-east-1` -> `ROADTRIP_API_US_EAST_1`."""
    return "ROADTRIP_API_" + region.upper().replace("-", "_")


def outage(state_dir: Path, region: str) -> dict[str, Any]:
    """Take `region` down (its app fails, its alarms fire, replication out of it stops and loses
    what was in flight). Returns the new state document."""
    info = _running(state_dir)
    _check_region(info, region)
    return ControlClient(info.endpoint_url).post("outage", {"region": region})


def restore(state_dir: Path, region: str) -> dict[str, Any]:
    """Bring `region` back. Returns the new state document."""
    info = _running(state_dir)
    _check_region(info, region)
    return ControlClient(info.endpoint_url).post("restore", {"region": region})


def set_replication_lag(state_dir: Path, seconds: float) -> dict[str, Any]:
    _check_settings(0, seconds)
    info = _running(state_dir)
    return ControlClient(info.endpoint_url).post("replication", {"lag_seconds": seconds})


def set_faults(
    state_dir: Path, *, latency_ms: float = 0, error_rate: float = 0.0,
    throttle: dict[str, float] | None = None, unavailable: list[str] | None = None,
) -> dict[str, Any]:
    """Replace the injected faults (latency, 5xx rate, per-service throttling, services down
    in one region: `monitoring@us-east-1`); returns them."""
    body = {"latency_ms": latency_ms, "error_rate": error_rate, "throttle": throttle or {},
            "unavailable": list(unavailable or [])}
    FaultSettings.from_dict(body)  # refuse bad settings here, with the same message
    document = ControlClient(_running(state_dir).endpoint_url).post("faults", body)
    return dict(document["faults"])


def clear_faults(state_dir: Path) -> dict[str, Any]:
    document = ControlClient(_running(state_dir).endpoint_url).post("faults/clear", {})
    return dict(document["faults"])


def ground_truth(state_dir: Path) -> dict[str, Any]:
    """The live state document: injected lag, outage start times, seeded resources."""
    return ControlClient(_running(state_dir).endpoint_url).get("state")


def _running(state_dir: Path) -> SandboxInfo:
    info = status(state_dir)
    if info is None:
        raise SandboxError(
            f"no sandbox is running for state directory {state_dir}", hint="run `drctl sandbox up`"
        )
    return info


def _live_pid(files: SandboxFiles) -> int | None:
    """The recorded supervisor's pid if it is alive; otherwise clean up what it left behind.
    A supervisor run by hand has no pidfile, so its state document's pid counts too."""
    document = files.read_state() or {}
    candidates = [files.read_pid(), document.get("pid")]
    for pid in candidates:
        if isinstance(pid, int) and process.is_supervisor(pid):
            return pid
    files.remove(files.pid, files.state)
    return None


def _refuse_if_running(files: SandboxFiles) -> None:
    pid = _live_pid(files)
    if pid is None:
        return
    endpoint = (files.read_state() or {}).get("endpoint_url", "not ready yet")
    raise SandboxError(
        f"a sandbox is already running for {files.state_dir} (pid {pid}, endpoint {endpoint})",
        hint="use it, or stop it first with `drctl sandbox down`",
    )


def _spawn(
    files: SandboxFiles, port: int, replication_lag: float, faults: dict[str, Any],
    estate_size: int = 0,
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", process.SUPERVISOR_MODULE,
        "--state-dir", str(files.state_dir),
        "--port", str(port),
        "--replication-lag", str(replication_lag),
        "--faults", json.dumps(faults),
        "--estate-size", str(estate_size),
    ]  # fmt: skip
    with files.log.open("ab") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not killed by the operator's Ctrl-C or closing the shell
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _wait_ready(
    files: SandboxFiles, supervisor: subprocess.Popen[bytes], timeout: float
) -> SandboxInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.poll() is not None:
            raise SandboxError(
                f"the sandbox supervisor exited with code {supervisor.returncode} while starting;"
                f" last lines of {files.log}:\n{files.log_tail()}"
            )
        document = files.read_state()
        if document is not None and _answers(document, supervisor.pid):
            return SandboxInfo.from_document(document, files.state_dir)
        time.sleep(0.1)
    raise SandboxError(
        f"the sandbox was not ready after {timeout:.0f} s; last lines of {files.log}:\n"
        f"{files.log_tail()}"
    )


def _answers(document: dict[str, Any], pid: int) -> bool:
    try:
        live = ControlClient(str(document["endpoint_url"]), timeout=2).get("state")
    except (SandboxError, KeyError):
        return False
    return bool(live.get("pid") == pid and live.get("ready"))


def _check_region(info: SandboxInfo, region: str) -> None:
    if region not in info.regions:
        raise InvalidInput(
            f"unknown sandbox region {region!r}; valid regions: {', '.join(info.regions)}"
        )


def _check_settings(port: int, replication_lag: float) -> None:
    if not 0 <= port <= 65535:
        raise InvalidInput(f"port must be 0 (any free port) or 1-65535, not {port}")
    if not 0 <= replication_lag <= 86_400:
        raise InvalidInput(f"replication lag must be 0-86400 seconds, not {replication_lag}")
