"""Runbook runs as processes: a `drctl` step is a sub-run in its own process, and a run
stopped by SIGINT says how to resume or end it, and those hints work.

End-to-end truths about real processes (no sandbox needed): each starts drctl interpreters,
so they live here, not in the fast unit tier."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from drctl.core.run import StepStatus
from tests.unit.test_runbook_runner import Host, runbook_file


def test_ctrl_c_says_how_to_resume_or_end_the_run(tmp_path: Path) -> None:
    """A run stopped by SIGINT (here a step sends it to drctl) exits 130 with hints that work:
    the resume continues it; the other hint ends a run one will not resume."""
    import os
    import subprocess
    import sys

    path = tmp_path / "t.md"
    path.write_text("---\nid: t\ntitle: T\nallow_shell: true\n---\n```drctl\nid: stop\n"
                    "action: shell\ncommand: [sh, -c, 'kill -INT $PPID; sleep 1']\n```\n"
                    "```drctl\nid: after\naction: sleep\nduration: 0s\n```\n")
    env = {**os.environ, "DRCTL_STATE_DIR": str(tmp_path / "state")}

    def drctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "drctl", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    stopped = drctl("runbook", "run", str(path))
    assert stopped.returncode == 130, stopped.stderr
    said = " ".join(stopped.stderr.split())
    run_id = said.split("runbook run ", 1)[1].split()[0]
    assert f"`drctl runbook resume {run_id}`" in said
    assert f"`drctl runs abort {run_id} --reason 'not resuming'`" in said
    assert "failover" not in said
    # SIGINT reached drctl while `stop` ran: resume asks whether it happened (it did).
    asked = drctl("runbook", "resume", run_id)
    assert asked.returncode == 3 and "--done stop" in asked.stderr
    resumed = drctl("runbook", "resume", run_id, "--done", "stop", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"


def test_a_drctl_step_is_a_sub_run_whose_id_is_recorded(tmp_path: Path) -> None:
    host = Host(tmp_path)
    inner = tmp_path / "inner.md"
    inner.write_text("---\nid: inner\ntitle: Inner\n---\n```drctl\nid: nap\naction: sleep\n"
                     "duration: 10ms\n```\n")
    host.deps.drctl = [sys.executable, "-m", "drctl"]
    host.deps.env = {**os.environ, "DRCTL_STATE_DIR": str(tmp_path / "sub-state")}
    path = runbook_file(tmp_path, f"id: sub\naction: drctl\ncommand: [runbook, run, '{inner}']",
                        "id: fails\naction: drctl\ncommand: [runbook, run, nowhere.md]\n"
                        "on_failure: continue")
    run = host.start(path)
    output = run.step("sub").output
    assert output["kind"] == "runbook" and output["status"] == "succeeded"
    [event] = [e for e in host.store.events(run.run_id) if e.type == "runbook_subrun"]
    assert event.step == "sub" and event.data["sub_run"]["run_id"] == output["run_id"]
    failed = run.step("fails")
    assert failed.status is StepStatus.FAILED and "exited 2" in str(failed.error)
