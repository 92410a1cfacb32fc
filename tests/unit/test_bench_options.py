"""`python -m bench NAME --help` shows a benchmark's options and runs nothing; a bad option is
a usage error (exit 2) before anything runs (`bench detection --help` once ran the benchmark).
Each case is a whole process, with a deadline: a benchmark that started would be cut short."""

from __future__ import annotations

import importlib
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
    assert "--json" in done.stdout  # README: `python -m bench NAME [--quick] [--json]`
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


@pytest.mark.parametrize(("name", "args", "says"), [
    ("drill", ["--items", "-5"], "argument --items: must be zero or more, not '-5'"),
    ("drill", ["--items", "many"], "argument --items: not a whole number: 'many'"),
    ("drill", ["--latency", "x"], "argument --latency: not a duration: 'x'"),
    ("drill", ["--latency", "90s"], "argument --latency: must be 0 and under 60 s"),
    ("drill", ["--segments", "0"], "argument --segments: must be more than zero, not '0'"),
    ("drill", ["--repeat", "0"], "argument --repeat: must be more than zero, not '0'"),
    ("failover", ["--services", "1001"], "argument --services: must be at most 1000"),
    ("failover", ["--latency", "0ms"], "argument --latency: must be more than 0 and under 60 s"),
])
def test_a_bad_value_stops_the_benchmark_before_it_starts_anything(
        name: str, args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    """In-process: main() raises SystemExit(2) from its parser, before its first sandbox
    (`drill --latency x` once filled a sandbox's table and then failed; `--segments 0` failed
    after the whole drill)."""
    module = importlib.import_module(f"bench.{name}")
    with pytest.raises(SystemExit) as exited:
        module.main(["--quick", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert says in err and f"usage: python -m bench {name}" in err


@pytest.mark.parametrize("text", ["0", "0ms"])
def test_drill_runs_without_latency_by_default_or_when_told_zero(text: str) -> None:
    from bench.drill import parse

    assert parse([]).latency == 0.0 and parse(["--latency", text]).latency == 0.0
    assert parse(["--latency", "20ms"]).latency == pytest.approx(0.02)


def test_the_runners_help_lists_every_benchmark_with_what_it_measures() -> None:
    done = bench("--help")
    assert done.returncode == 0 and "python -m bench [NAME] [--quick]" in done.stdout
    listed = done.stdout.split("benchmarks:\n")[1].splitlines()
    assert [line.split()[0] for line in listed] == benchmarks()
    assert all(len(line.split()) > 3 for line in listed), listed  # a name and a summary
    assert any("critical-path floor" in line for line in listed)
