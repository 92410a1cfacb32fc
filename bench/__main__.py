"""`make bench` / `python -m bench [NAME] [--quick]`: drctl's benchmarks, side by side.

Each benchmark is a module `bench/NAME.py` with `main(argv) -> int` and a one-line docstring
summary; it measures what it compares in one run (this machine is shared and noisy: read the
ratios), prints a table with the machine and inputs, and writes `bench/results/NAME.json`.
With no NAME every benchmark runs; `--quick` (passed through) runs fewer repetitions.
`python -m bench NAME --help` shows a benchmark's own options.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import signal
import sys
from pathlib import Path
from types import FrameType

from bench.common import machine_line

HERE = Path(__file__).parent
SKIP = {"__main__", "common", "sequential_failover"}  # helpers, not benchmarks


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in SKIP)


def summary(name: str) -> str:
    """The first sentence of a benchmark's docstring, read without importing it."""
    tree = ast.parse((HERE / f"{name}.py").read_text(encoding="utf-8"))
    text = " ".join((ast.get_docstring(tree) or "").split("\n\n")[0].split())
    return re.sub(r"^`python -m bench \w+`: ", "", text).split(". ")[0].rstrip(".")


def run(name: str, argv: list[str]) -> int:
    """Run one benchmark: its exit code, or 1 with what went wrong in one message (no
    traceback) when it failed. Its `with` blocks stop the sandboxes and processes it started."""
    try:
        code = int(importlib.import_module(f"bench.{name}").main(argv) or 0)
    except Exception as exc:  # a benchmark that could not measure: say so, plainly
        print(f"python -m bench {name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if code == 0 and not {"-h", "--help", "--json"} & set(argv):
        print(machine_line())
    return code


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP (a `timeout`, a closed terminal) end a benchmark as Ctrl-C does:
    by an exception, so its sandboxes are stopped on the way out (by default they end the
    process at once, and the sandboxes it started -- in sessions of their own -- live on).
    A second signal while it cleans up is ignored: the clean-up is bounded."""
    def handler(signum: int, frame: FrameType | None) -> None:
        for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(each, signal.SIG_IGN)
        print(f"python -m bench: {signal.Signals(signum).name}: stopping what it started",
              file=sys.stderr)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, handler)


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")][:1]
    if names and names[0] not in benchmarks():
        print(f"unknown benchmark {names[0]!r}; choose from: {', '.join(benchmarks())}",
              file=sys.stderr)
        return 2
    if names:
        return run(names[0], [a for a in argv if a != names[0]])
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        print("benchmarks:")
        for name in benchmarks():
            print(f"  {name:<11} {summary(name)}")
        return 0
    unknown = [a for a in argv if a != "--quick"]
    if unknown:  # before anything runs: the whole set takes an hour
        print(f"python -m bench: unknown option {unknown[0]!r} (with no NAME only --quick; "
              "`python -m bench NAME --help` shows a benchmark's options)", file=sys.stderr)
        return 2
    worst = 0
    for name in benchmarks():
        print(f"\n== {name} ==", flush=True)
        worst = max(worst, run(name, argv))
    return worst


if __name__ == "__main__":
    stop_on_signals()
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("python -m bench: interrupted", file=sys.stderr)
        sys.exit(130)
