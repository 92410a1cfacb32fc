"""What every benchmark shares: the machine, medians, result files, a sandbox to run against."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's options: `--help` prints its docstring and options; an unknown option or
    a bad value is a usage error (exit 2) before anything runs."""
    return argparse.ArgumentParser(prog=f"python -m bench {name}", description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def quick_options(name: str, doc: str | None, argv: Sequence[str] | None, quick: str
                  ) -> argparse.Namespace:
    """The options of a benchmark that has only `--quick` (`quick` says what it then does)
    and `--json`."""
    options = parser(name, doc)
    options.add_argument("--quick", action="store_true", help=quick)
    options.add_argument("--json", action="store_true",
                         help=f"print the result (bench/results/{name}.json) as JSON, no table")
    return options.parse_args(list(argv or []))


def positive(kind: type[int] | type[float]) -> Any:
    """An argparse type: a number above zero, or a usage error naming the value."""
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than zero, not {text!r}")
        return value

    convert.__name__ = kind.__name__
    return convert


def at_most(kind: type[int], largest: int) -> Any:
    """An argparse type: a whole number from 1 to `largest`, or a usage error naming the value."""
    above_zero = positive(kind)

    def convert(text: str) -> int:
        value = int(above_zero(text))
        if value > largest:
            raise argparse.ArgumentTypeError(f"must be at most {largest}, not {text!r}")
        return value

    convert.__name__ = kind.__name__
    return convert


def not_negative(text: str) -> int:
    """An argparse type: a whole number of zero or more, or a usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {text!r}")
    return value


def duration(allow_zero: bool = False) -> Any:
    """An argparse type: `100ms`, `0.1s` -- under a minute, and more than zero unless
    `allow_zero`; seconds, or a usage error naming the value."""
    def convert(text: str) -> float:
        from drctl.core.durations import parse_duration

        if allow_zero and text.strip() == "0":
            return 0.0
        try:
            seconds = parse_duration(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not (0 <= seconds < 60 if allow_zero else 0 < seconds < 60):
            least = "0" if allow_zero else "more than 0"
            raise argparse.ArgumentTypeError(f"must be {least} and under 60 s, not {text!r}")
        return seconds

    convert.__name__ = "duration"
    return convert


def machine() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "load_1m": load}


def machine_line() -> str:
    """The machine, one line, for the head of a benchmark's printed output."""
    m = machine()
    load = f", load {m['load_1m']:.1f} (1 min)" if m["load_1m"] is not None else ""
    return f"machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}{load}"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def write_result(name: str, document: dict[str, Any], echo: bool = False) -> Path:
    """Write bench/results/NAME.json (the machine, then `document`); `echo`: print it too."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    text = json.dumps({"machine": machine(), **document}, indent=2) + "\n"
    path.write_text(text)
    if echo:
        print(text, end="")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:  # not measured (e.g. failover --skip-sequential)
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@dataclass
class Sandbox:
    """A running sandbox in its own state dir, and the environment that points at it."""

    state_dir: Path
    env: dict[str, str]
    document: dict[str, Any]

    def drctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "drctl", "--state-dir", str(self.state_dir), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"drctl {' '.join(args)} exited {done.returncode}:\n"
                               f"{done.stderr[-2000:]}")
        return done

    def truth(self) -> dict[str, Any]:
        from drctl.sandbox import manager

        return manager.ground_truth(self.state_dir)


@contextmanager
def sandbox(estate_size: int = 0, replication_lag: float = 5.0) -> Iterator[Sandbox]:
    """Start a sandbox (seeded without faults), yield it, always stop it."""
    from drctl.sandbox import manager

    with tempfile.TemporaryDirectory(prefix="drctl-bench-") as tmp:
        state_dir = Path(tmp)
        info = manager.start(state_dir, replication_lag=replication_lag, timeout=180,
                             estate_size=estate_size)
        try:
            env = {**os.environ, **manager.env_exports(info), "DRCTL_STATE_DIR": str(state_dir)}
            env.pop("AWS_PROFILE", None)
            yield Sandbox(state_dir, env, manager.ground_truth(state_dir))
        finally:
            manager.stop(state_dir)


ROOT = Path(__file__).resolve().parents[1]


def roadtrip_with(path: Path, schedules: str = "", controller: str = "",
                  edit: Sequence[tuple[str, str]] = ()) -> Path:
    """playbooks/roadtrip.yaml written to `path` with `schedules` (YAML list entries) instead of
    its own, an optional `controller:` mapping, and plain text replacements `edit`."""
    text = (ROOT / "playbooks" / "roadtrip.yaml").read_text(encoding="utf-8")
    start, end = text.index("schedules:\n"), text.index("# Restore drills")
    settings = f"controller: {controller}\n" if controller else ""
    listed = f"schedules:\n{schedules}\n" if schedules else ""
    text = f"{text[:start]}{settings}{listed}\n{text[end:]}"
    for old, new in edit:
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def running_controller(args: Sequence[str], env: dict[str, str] | None = None,
                       timeout: float = 120) -> Iterator[subprocess.Popen[str]]:
    """`drctl ARGS controller …` started, yielded once it leads, its log drained (a full pipe
    would stall the controller being measured), always stopped (SIGTERM) by its pid. A
    controller that exits, or has not led within `timeout` seconds, is a RuntimeError with the
    end of its log (it was yielded dead: the benchmark then failed far from the cause)."""
    process = subprocess.Popen([sys.executable, "-m", "drctl", *args], env=env, cwd=ROOT,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    led, before = threading.Event(), deque[str](maxlen=20)

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if not led.is_set():
                before.append(line)
                if "leader_elected" in line:
                    led.set()

    try:
        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not led.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with code {process.returncode}" if process.poll() is not None
                       else f"did not lead within {timeout:g} s")
                raise RuntimeError(f"drctl {' '.join(args)} {why}; the end of its log:\n"
                                   + "".join(before))
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)
