"""The experiment process, driven through the interruption port -- no sandbox, no signal
handler: a stop requested from another thread rolls the experiment back, a halt ends a long
pause within about a second, and nothing the experiment started outlives it.

These spawn a real experiment process (chaoslib), so each takes a few seconds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from drctl.chaos import kill_switch
from drctl.chaos.child import ChildRequest
from drctl.chaos.experiment import ChaosExperiment
from drctl.chaos.extension import GuardRails
from drctl.chaos.guard import GuardConfig
from drctl.chaos.process import ChildResult, run_in_child
from drctl.core.clock import SystemClock
from drctl.core.engine import Engine
from drctl.core.interrupt import Interruption
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import process_running


def shell(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": name, **extra,
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}}


def experiment(tmp: Path, method: list[dict[str, Any]]) -> ChaosExperiment:
    rollback = shell("mark-rolled-back", f"date +%s.%N > {tmp / 'rolled-back'}")
    document = {"title": "t", "description": "d", "method": method, "rollbacks": [rollback]}
    return ChaosExperiment(str(tmp / "e.json"), document, GuardRails(), ())


def start(tmp: Path, exp: ChaosExperiment, port: Interruption) -> tuple[threading.Thread,
                                                                        list[ChildResult]]:
    """run_in_child on a worker thread, as a controller would run it."""
    results: list[ChildResult] = []
    request = ChildRequest(exp, GuardConfig(f"sqlite://{tmp / 'journal.db'}"))
    worker = threading.Thread(target=lambda: results.append(
        run_in_child(request, lambda kind, data: None, port)))
    worker.start()
    return worker, results


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_stop_from_another_thread_rolls_back_and_stops_what_the_experiment_started(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "sleep.pid"
    exp = experiment(tmp_path, [shell("long-command",
                                      f"sleep 60 & echo $! > {pidfile}; wait")])
    port = Interruption()
    worker, results = start(tmp_path, exp, port)
    wait_for(pidfile)
    sleeper = int(pidfile.read_text())

    port.request_stop("controller shutdown")
    worker.join(timeout=60)

    assert not worker.is_alive() and len(results) == 1
    result = results[0]
    assert result.stop is not None and result.stop.by == "operator"
    assert "controller shutdown" in result.stop.reason
    assert result.journal is not None and result.journal["status"] == "interrupted"
    assert [r["status"] for r in result.journal["rollbacks"]] == ["succeeded"]
    assert (tmp_path / "rolled-back").exists()
    deadline = time.monotonic() + 5
    while process_running(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(sleeper), "the experiment's `sleep` outlived it"


def test_the_kill_switch_ends_a_long_pause_within_about_a_second(tmp_path: Path) -> None:
    started = tmp_path / "started"
    exp = experiment(tmp_path, [shell("poke", f"touch {started}", pauses={"after": 30})])
    store = SqliteStore(tmp_path / "journal.db")
    worker, results = start(tmp_path, exp, Interruption())
    wait_for_file = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < wait_for_file
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the 30 s pause

    halted_at = time.time()
    kill_switch.engage(Engine(store, SystemClock()), "INC-7: stop all chaos")
    worker.join(timeout=60)
    store.close()

    result = results[0]
    assert result.stop is not None and result.stop.by == "kill_switch"
    assert result.journal is not None
    rolled_back_at = float((tmp_path / "rolled-back").read_text())
    latency = rolled_back_at - halted_at
    assert latency < 3.0, f"the halt took {latency:.2f}s to stop a 30 s pause"


def test_a_stop_while_the_experiment_process_is_still_starting_does_not_kill_it(
    tmp_path: Path,
) -> None:
    """A SIGTERM in the first second of `chaos run`: the experiment process is still loading
    Python and chaoslib, when SIGUSR1's default action would kill it -- no journal, rollbacks
    unknown. The stop waits for the process to say it has started, and it ends properly."""
    marker = tmp_path / "method-ran"
    exp = experiment(tmp_path, [shell("would-disrupt", f"touch {marker}")])
    port = Interruption()
    port.request_stop("SIGTERM")  # before the process exists: the relay's first poll sees it
    worker, results = start(tmp_path, exp, port)
    worker.join(timeout=60)

    assert not worker.is_alive() and len(results) == 1
    result = results[0]
    assert result.exit_code is not None and result.exit_code >= 0, result.exit_code
    assert result.journal is not None and result.journal["status"] == "interrupted"
    assert result.stop is not None and "SIGTERM" in result.stop.reason
    assert not marker.exists()  # stopped before its method
