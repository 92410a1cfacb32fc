"""`python -m bench NAME --help` shows a benchmark's options and runs nothing; a bad option is
a usage error (exit 2) before anything runs (`bench detection --help` once ran the benchmark).
Each case is a whole process, with a deadline: a benchmark that started would be cut short."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import benchmarks

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)


def test_every_benchmark_is_covered() -> None:
    assert set(benchmarks()) >= {"controller", "detection", "drill", "failover", "journal",
                                 "listing", "report", "startup"}


@pytest.mark.parametrize("name", benchmarks())
def test_help_shows_the_options_and_runs_nothing(name: str) -> None:
    done = bench(name, "--help")
    assert done.returncode == 0, done.stderr
    assert f"usage: python -m bench {name}" in done.stdout and "--quick" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", benchmarks())
def test_an_unknown_option_is_a_usage_error(name: str) -> None:
    done = bench(name, "--quick", "--no-such-option")
    assert done.returncode == 2
    assert "unrecognized arguments: --no-such-option" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["failover", "--latency", "fast"], "argument --latency: not a duration: 'fast'"),
    (["failover", "--services", "0"], "argument --services: must be more than zero"),
    (["failover", "--repeat", "x"], "argument --repeat: not a number: 'x'"),
    (["--no-such-option"], "unknown option '--no-such-option'"),
    (["nosuch"], "unknown benchmark 'nosuch'"),
])
def test_bad_values_are_usage_errors_that_say_which(args: list[str], says: str) -> None:
    done = bench(*args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
