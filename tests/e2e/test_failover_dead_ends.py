"""No dead ends: a failover that stopped half way (a step failed, or Ctrl-C after the DNS
switch) prints the ways out, and each one works — run here exactly as printed."""

from __future__ import annotations

import json
import os
import select
import signal
import time
from pathlib import Path

import pytest

from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot
from tests.e2e.test_failover_bad_input import playbook_with
from tests.e2e.test_failover_resume import AFTER_FAILOVER
from tests.hints import hinted


# Two failovers (one retrying its failed step three times) and an abort: on the loaded CI
# machine that is more than the suite's 300 s guard for one test.
@pytest.mark.timeout(900)
def test_a_failed_failover_is_ended_then_finished_by_the_commands_it_prints(
    make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    manager.outage(sandbox.state_dir, "us-east-1")
    # More workers than the group's MaxSize (12): scale_secondary fails after the DNS switch.
    path = playbook_with(tmp_path, "      desired: 4", "      desired: 20")

    failed = cli("failover", "--region", "us-west-2", "--yes", "--force", "--playbook", path)
    assert failed.returncode == 1, failed.stderr
    run_id = json.loads(cli("runs", "list", "--json").stdout)[0]["run_id"]
    assert "already changed: switch_dns done" in failed.stderr

    # It holds the playbook: a new failover is refused, naming it.
    held = cli("failover", "--region", "us-west-2", "--yes", "--playbook", path)
    assert held.returncode == 4 and f"runs abort {run_id}" in held.stderr, held.stderr

    # The roll-back advice ends it (a failed run holding the lock can be ended) and says what
    # that leaves and how to go on.
    ended = cli(*hinted(failed.stderr, "runs abort"))
    assert ended.returncode == 0, ended.stderr
    assert "traffic goes to us-west-2" in ended.stdout
    run = cli.json("runs", "show", run_id)
    assert run["status"] == "aborted" and "it had failed" in run["error"]
    assert "traffic goes to us-west-2" in run["recovery"]["left"]

    # us-west-2 takes the traffic at one task per service: the printed command finishes the
    # job (DNS left as it is) once the cause is fixed.
    Path(path).write_text(Path(path).read_text().replace("desired: 20", "desired: 4"))
    finish = hinted(run["recovery"]["resume"], "failover")
    finished = cli(*finish, "--yes", "--json")
    assert finished.returncode == 0, finished.stderr
    done = json.loads(finished.stdout)
    assert done["status"] == "succeeded" and done["params"]["finishing"] is True
    assert estate_snapshot(aws) == AFTER_FAILOVER


def test_ctrl_c_after_the_switch_prints_the_ways_out_and_they_work(
    make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli = Cli(sandbox, tmp_path / "state")
    # The target turns out broken: its smoke test waits, and the operator presses Ctrl-C.
    manager.outage(sandbox.state_dir, "us-west-2")
    proc = cli.spawn("failover", "--region", "us-west-2", "--yes", "--force")
    assert proc.stdout is not None and proc.stderr is not None
    seen = read_until(proc.stdout.fileno(), "smoke_test …", timeout=180)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert code == 130, seen + err
    assert "already changed: switch_dns done, scale_secondary done" in err
    [run] = cli.json("runs", "list")
    assert run["status"] == "interrupted"
    assert cli.json("runs", "show", run["run_id"])["recovery"]["failed_step"] == "smoke_test"

    # Roll back, as printed: end the run, then fail back to the region left.
    ended = cli(*hinted(err, "runs abort"))
    assert ended.returncode == 0, ended.stderr
    back = cli(*hinted(err[err.index("roll back"):], "failover"), "--yes")
    assert back.returncode == 0, back.stderr
    assert estate_snapshot(aws)["weights"] == {"us-east-1": 100, "us-west-2": 0}


def read_until(fd: int, text: str, timeout: float) -> str:
    """Read the stream until `text` appears; fail after `timeout` seconds."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"never saw {text!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536).decode()
            assert chunk, f"stream closed before {text!r}; got {seen!r}"
            seen += chunk
    return seen
