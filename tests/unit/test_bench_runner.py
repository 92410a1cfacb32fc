"""`python -m bench` as a runner: a benchmark that fails says so in one message and exits 1;
SIGTERM and SIGHUP stop a benchmark the way Ctrl-C does, through its clean-up (a `timeout` once
left four sandbox supervisors running: they start in sessions of their own)."""

from __future__ import annotations

import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest

from bench import __main__ as runner

ROOT = Path(__file__).resolve().parents[2]

# A stand-in benchmark: announces itself, then waits in a `finally` it must get to run.
WAITS = """
import sys, time
from pathlib import Path
from bench.__main__ import stop_on_signals
stop_on_signals()
try:
    print("started", flush=True)
    time.sleep(60)
finally:
    Path(sys.argv[1]).write_text("stopped what it started")
"""


def test_a_failing_benchmark_says_why_and_exits_1(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def main(argv: list[str]) -> int:
        raise RuntimeError("the sandbox supervisor exited with code 1 while starting")

    monkeypatch.setitem(sys.modules, "bench.failing_for_test",
                        types.SimpleNamespace(main=main))
    assert runner.run("failing_for_test", ["--quick"]) == 1
    out, err = capsys.readouterr()
    assert err == ("python -m bench failing_for_test: failed: RuntimeError: the sandbox "
                   "supervisor exited with code 1 while starting\n")
    assert out == ""


def test_a_benchmark_that_ran_prints_the_machine(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "bench.passing_for_test",
                        types.SimpleNamespace(main=lambda argv: 0))
    assert runner.run("passing_for_test", []) == 0
    assert capsys.readouterr().out.startswith("machine: ")
    assert runner.run("passing_for_test", ["--json"]) == 0  # stdout stays one JSON document
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                              (signal.SIGINT, -signal.SIGINT)])
def test_a_signal_runs_the_benchmarks_clean_up(tmp_path: Path, signum: int, code: int) -> None:
    marker = tmp_path / "cleaned"
    process = subprocess.Popen([sys.executable, "-c", WAITS, str(marker)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline() == "started\n"
        process.send_signal(signum)
        # SIGINT: an uncaught KeyboardInterrupt, which Python ends by SIGINT
        assert process.wait(timeout=30) == code
        assert marker.read_text() == "stopped what it started"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
