"""The operator at a real terminal (a pty): typing the region, a wrong answer, Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import ROOT, Cli, estate_snapshot


class Terminal:
    """`drctl` with its stdin on a pty (so it sees a TTY); stderr captured."""

    def __init__(self, cli: Cli, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drctl", *args], env=cli.env(), cwd=ROOT,
            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        os.close(slave)
        self.seen = ""

    # Reaching a prompt takes drctl's start, detect and the pre-flight's AWS calls: over a
    # minute on a machine the full suite loads. A deadline for progress, not an oracle.
    def wait_for(self, text: str, timeout: float = 180) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"never saw {text!r}; got {self.seen!r}"
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 4096).decode()
                assert chunk, f"stderr closed before {text!r}; got {self.seen!r}"
                self.seen += chunk

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60) -> int:
        try:
            _, err = self.proc.communicate(timeout=timeout)
        finally:
            os.close(self.master)
        self.seen += err
        return self.proc.returncode


def test_operator_types_the_region(make_sandbox, use_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    before = estate_snapshot(aws)

    wrong = Terminal(cli, "failover", "--region", "us-west-2")
    wrong.wait_for("Type the target region (us-west-2)")
    wrong.type("us-east-1")
    assert wrong.finish() == 3
    assert "did not match 'us-west-2'; nothing was changed" in wrong.seen
    assert estate_snapshot(aws) == before

    # Ctrl-C at the prompt, before anything changed, is a "no": aborted, the lock freed.
    interrupted = Terminal(cli, "failover", "--region", "us-west-2")
    interrupted.wait_for("Type the target region")
    interrupted.proc.send_signal(signal.SIGINT)
    assert interrupted.finish() == 3, interrupted.seen
    assert "Ctrl-C before anything changed, taken as no" in interrupted.seen
    assert estate_snapshot(aws) == before

    runs = cli.json("runs", "list")
    assert [r["status"] for r in runs] == ["aborted", "aborted"]
    ctrl_c = cli.json("runs", "show", runs[0]["run_id"])
    assert [(s["name"], s["status"]) for s in ctrl_c["steps"]] == [
        ("detect", "succeeded"), ("confirm", "failed")]
    assert "Ctrl-C" in ctrl_c["error"]

    # Nothing holds the playbook: the next failover asks again, and goes through.
    right = Terminal(cli, "failover", "--region", "us-west-2")
    right.wait_for("Type the target region")
    right.type("us-west-2")
    assert right.finish() == 0, right.seen
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 0, "us-west-2": 100}
    assert [r["status"] for r in cli.json("runs", "list")] == ["succeeded", "aborted", "aborted"]


def test_operator_declines_failover_without_alarm(sandbox, tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    term = Terminal(cli, "failover", "--region", "us-west-2")
    term.wait_for("No detection alarm is in ALARM in us-east-1. Fail over anyway? [y/N]")
    term.type("n")
    assert term.finish() == 3
    assert "chose not to fail over" in term.seen
