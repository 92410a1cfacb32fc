"""The CLI in process (drctl.cli.main.run) on the fake `Aws`, an httpx MockTransport and a fake
clock: exit codes and --json shapes of the commands that act on AWS, at unit speed. The same
commands against the sandbox are tests/e2e/."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.app import Collaborators
from drctl.aws.cloudwatch import AlarmState
from drctl.aws.fake import FakeAws, FakeEstate
from drctl.cli.main import run
from drctl.core.clock import FakeClock
from tests.unit import fake_estate
from tests.unit.fake_estate import EAST, WEST, Web
from tests.unit.helpers import T0


@pytest.fixture
def playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_STATE_DIR", str(tmp_path / "state"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "DRCTL_STATE"):
        monkeypatch.delenv(name, raising=False)
    fake_estate.playbook(tmp_path)
    return str(tmp_path / "app.yaml")


@pytest.fixture
def estate() -> FakeEstate:
    found = fake_estate.estate(T0)
    found.alarms[EAST] = [AlarmState("app-5xx-us-east-1", "ALARM", T0 - timedelta(minutes=3),
                                     "5xx")]
    fake_estate.pois(found.tables, T0)
    return found


def drctl(capsys: pytest.CaptureFixture[str], estate: FakeEstate, *argv: str,
          web: Web | None = None) -> tuple[int, str, str]:
    given = Collaborators(FakeAws(estate), (web or Web()).client(), FakeClock(T0))
    code = run(list(argv), given)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_failover_json_is_one_document_with_the_run_and_its_figures(
        capsys: pytest.CaptureFixture[str], playbook: str, estate: FakeEstate) -> None:
    book = Path(playbook)  # printed too, under a name long enough to reach the console's width
    book.write_text(book.read_text().replace("notify:\n", "notify:\n  - console: {}\n")
                    .replace("name: app\n", "name: app-of-the-payments-team\n"))
    code, out, err = drctl(capsys, estate, "failover", "--region", WEST, "--yes", "--json",
                           "--playbook", playbook)

    assert code == 0, err
    run = json.loads(out)  # exactly one document: json.loads refuses trailing data
    assert run["status"] == "succeeded" and run["kind"] == "failover"
    # RTO: the alarm 3 min before, then one 2 s poll for the DNS change to be INSYNC.
    assert (run["rto_seconds"], run["rpo_seconds"], run["rpo_source"]) == (
        182.0, 4.0, "heartbeat:app-heartbeats")
    assert run["steps"][2]["output"]["rpo_read_at"] == run["steps"][2]["output"]["dns_switched_at"]
    assert {rr["SetIdentifier"]: rr["Weight"] for rr in estate.records["Z1"]} == {
        EAST: 0, WEST: 100}

    # The console channel's summary names the full-report commands, each whole on its line.
    (line,) = [ln for ln in err.splitlines() if ln.startswith("full report:")]
    assert line.endswith(f"`drctl report --playbook {run['params']['playbook']} --kind "
                         "failover`"), line

    code, out, _ = drctl(capsys, estate, "runs", "show", run["run_id"], "--json")
    assert code == 0 and json.loads(out) == run


def test_a_blocked_failover_exits_4_with_the_failed_run_as_its_json(
        capsys: pytest.CaptureFixture[str], playbook: str, estate: FakeEstate) -> None:
    web = Web(status={"east.app.test": [200], "west.app.test": [503]})
    code, out, err = drctl(capsys, estate, "failover", "--region", WEST, "--yes", "--json",
                           "--playbook", playbook, web=web)

    assert code == 4, err
    run = json.loads(out)
    assert run["status"] == "failed" and "target_app_healthy" in run["error"]
    # Refused before anything changed (the failed run is announced, nothing else happened).
    assert [c for c in estate.calls if c != "sns.publish"] == []


def test_failing_over_to_the_active_region_is_invalid_input_as_one_error_document(
        capsys: pytest.CaptureFixture[str], playbook: str, estate: FakeEstate) -> None:
    code, out, _ = drctl(capsys, estate, "failover", "--region", EAST, "--yes", "--json",
                         "--playbook", playbook)

    assert code == 2
    assert set(json.loads(out)) == {"error", "hint", "exit_code"}
    assert json.loads(out)["exit_code"] == 2


def test_a_pitr_drill_json_is_an_array_of_runs_with_their_figures(
        capsys: pytest.CaptureFixture[str], playbook: str, estate: FakeEstate) -> None:
    code, out, err = drctl(capsys, estate, "drill", "--target", "dynamodb:app-pois", "--kind",
                           "pitr", "--json", "--playbook", playbook)

    assert code == 0, err
    [run] = json.loads(out)
    assert run["status"] == "succeeded" and run["rpo_seconds"] == 300.0
    assert run["validation"]["passed"] is True and run["cleanup"]["status"] == "done"
