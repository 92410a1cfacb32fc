"""`make bench` / `python -m bench [NAME ...] [--quick]`: drctl's benchmarks, side by side.

Each benchmark is a module `bench/NAME.py` with `main(argv) -> int` and a one-line docstring
summary; it measures what it compares in one run (this machine is shared and noisy: read the
ratios), prints a table with the machine and inputs, and writes `bench/results/NAME.json`.
With no NAME every benchmark runs; `--quick` (passed through) runs fewer repetitions.
`python -m bench NAME --help` shows a benchmark's own options.
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import sys
from pathlib import Path

HERE = Path(__file__).parent
SKIP = {"__main__", "common", "sequential_failover"}  # helpers, not benchmarks


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in SKIP)


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")][:1]
    if names and names[0] not in benchmarks():
        print(f"unknown benchmark {names[0]!r}; choose from: {', '.join(benchmarks())}",
              file=sys.stderr)
        return 2
    if names:
        rest = [a for a in argv if a != names[0]]
        return int(importlib.import_module(f"bench.{names[0]}").main(rest) or 0)
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        print("benchmarks:", ", ".join(benchmarks()))
        return 0
    unknown = [a for a in argv if a != "--quick"]
    if unknown:  # before anything runs: the whole set takes an hour
        print(f"python -m bench: unknown option {unknown[0]!r} (with no NAME only --quick; "
              "`python -m bench NAME --help` shows a benchmark's options)", file=sys.stderr)
        return 2
    worst = 0
    for name in benchmarks():
        print(f"\n== {name} ==", flush=True)
        worst = max(worst, int(importlib.import_module(f"bench.{name}").main(argv) or 0))
    return worst


def _exit_on_sigterm() -> None:
    """SIGTERM (`kill`, a CI timeout) unwinds like Ctrl-C: every sandbox and controller a
    benchmark started is stopped by its `finally`, not left running."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


if __name__ == "__main__":
    _exit_on_sigterm()
    sys.exit(main(sys.argv[1:]))
