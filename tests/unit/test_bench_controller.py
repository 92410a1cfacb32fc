"""A controller the benchmarks start but that never leads is a failure that says why, with the
end of its log -- it was handed to the benchmark dead (`controller`'s idle RSS then read the
/proc of a gone process; `detection` waited 120 s for a failover)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import running_controller


def test_a_controller_that_exits_before_it_leads_is_an_error_with_its_log(
        tmp_path: Path) -> None:
    missing = tmp_path / "no-such-playbook.yaml"
    args = ["--state-dir", str(tmp_path), "controller", "--playbook", str(missing)]
    with pytest.raises(RuntimeError) as failed, running_controller(args, timeout=60):
        pytest.fail("yielded a controller that never led")
    message = str(failed.value)
    assert "exited with code 2" in message and "no-such-playbook.yaml" in message
