"""Where a failover's state lives: a new shell in any directory finds and resumes the run
(per-user journal, recorded playbook), and a playbook's `state:` shares the lock between
machines, its hints naming that store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from drctl.sandbox import manager
from tests.e2e.helpers import PLAYBOOK, Cli, estate_snapshot
from tests.e2e.test_failover_resume import AFTER_FAILOVER
from tests.hints import hinted

SHARED = "dynamodb://drctl-team?region=us-west-2"
LOCAL_NOTE = "covers this machine only"


def shell(cli: Cli, cwd: Path, xdg: Path, *args: str, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    """drctl as typed in a new shell in `cwd`: no DRCTL_STATE_DIR, the user's default state."""
    clean = {k: v for k, v in cli.env().items() if k != "DRCTL_STATE_DIR"}
    return subprocess.run([sys.executable, "-m", "drctl", *args],
                          env={**clean, "XDG_STATE_HOME": str(xdg), **(env or {})}, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)


def test_a_new_shell_anywhere_resumes_the_run(make_sandbox, use_sandbox, tmp_path: Path
                                              ) -> None:
    sandbox = make_sandbox(lag=2.0)
    aws = use_sandbox(sandbox)
    cli, xdg, home = Cli(sandbox, tmp_path / "unused"), tmp_path / "xdg", tmp_path / "home"
    home.mkdir()
    manager.outage(sandbox.state_dir, "us-east-1")
    ops = tmp_path / "ops"  # where the first shell was: the playbook under its default path
    (ops / "playbooks").mkdir(parents=True)
    (ops / "playbooks" / "roadtrip.yaml").write_text(PLAYBOOK.read_text())

    crashed = shell(cli, ops, xdg, "failover", "--region", "us-west-2", "--yes",
                    env={"DRCTL_CRASH_AT": "step_succeeded:switch_dns"})
    assert crashed.returncode < 0, crashed.stderr
    assert LOCAL_NOTE in crashed.stdout

    listed = json.loads(shell(cli, home, xdg, "runs", "list", "--json").stdout)
    assert [r["status"] for r in listed] == ["interrupted"]
    assert listed[0]["playbook_path"] == str(ops / "playbooks" / "roadtrip.yaml")
    copy = home / "roadtrip.yaml"
    copy.write_text(PLAYBOOK.read_text())
    resumed = shell(cli, home, xdg, "failover", "--resume", listed[0]["run_id"], "--playbook",
                    str(copy), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    assert estate_snapshot(aws) == AFTER_FAILOVER
    assert (xdg / "drctl" / "journal.db").is_file() and not (home / ".drctl").exists()


def test_the_playbooks_shared_store_holds_the_lock_for_every_machine(
    make_sandbox, use_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(lag=2.0)
    use_sandbox(sandbox)
    manager.outage(sandbox.state_dir, "us-east-1")
    path = tmp_path / "roadtrip.yaml"
    path.write_text(PLAYBOOK.read_text() + f"\nstate: {SHARED}\n")
    alice = Cli(sandbox, tmp_path / "alice")
    bob = Cli(sandbox, tmp_path / "bob")  # another machine: its own local journal

    crashed = alice("failover", "--region", "us-west-2", "--yes", "--playbook", str(path),
                    env={"DRCTL_CRASH_AT": "step_succeeded:confirm"})
    assert crashed.returncode < 0, crashed.stderr
    assert LOCAL_NOTE not in crashed.stdout

    blocked = bob("failover", "--region", "us-west-2", "--yes", "--playbook", str(path))
    assert blocked.returncode == 4, blocked.stderr
    ended = bob(*hinted(blocked.stderr, f"--state '{SHARED}' runs abort"))
    assert ended.returncode == 0, ended.stderr
    done = bob("failover", "--region", "us-west-2", "--yes", "--playbook", str(path))
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "alice" / "journal.db").exists()
    assert not (tmp_path / "bob" / "journal.db").exists()
