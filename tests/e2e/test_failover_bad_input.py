"""Bad input to `drctl failover|plan|validate`: a clear message, the documented exit code, and
nothing changed in the estate (read back with boto3) — all against one live sandbox."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.helpers import PLAYBOOK, Cli, estate_snapshot, playbook_copy


@pytest.fixture
def cli(sandbox, tmp_path: Path) -> Cli:
    return Cli(sandbox, tmp_path / "state")


@pytest.fixture
def unchanged(aws):
    """Asserts, after the test, that the estate is exactly as it was before it."""
    before = estate_snapshot(aws)
    yield
    assert estate_snapshot(aws) == before


def playbook_with(tmp_path: Path, old: str, new: str) -> str:
    text = PLAYBOOK.read_text()
    assert old in text
    return str(playbook_copy(tmp_path, text.replace(old, new, 1)))


def line_of(path: str, needle: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_unknown_region_is_refused(cli, unchanged) -> None:
    result = cli("failover", "--region", "eu-west-9", "--yes")
    assert result.returncode == 2
    assert "'eu-west-9' is not a region of playbook 'roadtrip'" in result.stderr
    assert "us-east-1, us-west-2" in result.stderr


def test_target_already_active_is_refused(cli, unchanged) -> None:
    result = cli("failover", "--region", "us-east-1", "--yes")
    assert result.returncode == 2
    assert "us-east-1 is already the active region" in result.stderr
    assert cli.json("runs", "list") == []


def test_missing_hosted_zone(cli, tmp_path, unchanged) -> None:
    path = playbook_with(tmp_path, "zone: roadcopilot.com", "zone: no-such-zone.example")
    result = cli("failover", "--region", "us-west-2", "--yes", "--playbook", path)
    assert result.returncode == 2
    assert "hosted zone 'no-such-zone.example' does not exist" in result.stderr
    validate = cli("validate", path)
    assert validate.returncode == 2
    assert f"{path}:{line_of(path, 'zone:')}" in validate.stdout + validate.stderr


def test_missing_alarm_fails_detect_before_any_change(cli, tmp_path, unchanged) -> None:
    path = playbook_with(tmp_path, "roadtrip-api-latency-{region}", "roadtrip-api-typo-{region}")
    result = cli("failover", "--region", "us-west-2", "--yes", "--playbook", path)
    assert result.returncode == 2
    assert "alarm(s) not found in us-east-1: roadtrip-api-typo-us-east-1" in result.stderr
    runs = cli.json("runs", "list")
    assert [r["status"] for r in runs] == ["failed"]
    run = cli.json("runs", "show", runs[0]["run_id"])
    assert [(s["name"], s["status"]) for s in run["steps"]] == [("detect", "failed")]

    validate = cli("validate", path)
    assert validate.returncode == 2
    expected = f"{path}:{line_of(path, 'roadtrip-api-typo')}"
    assert expected in validate.stdout + validate.stderr


def test_no_tty_without_yes_is_not_confirmed(cli, unchanged) -> None:
    # --incident-start gets past detect's question, so this reaches the confirm step.
    a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    result = cli("failover", "--region", "us-west-2", "--incident-start", a_minute_ago)
    assert result.returncode == 3
    assert "no TTY" in result.stderr and "--yes" in result.stderr
    run = cli.json("runs", "list")[0]
    assert run["status"] == "aborted"


def test_no_alarm_firing_and_no_tty_is_not_confirmed(cli, unchanged) -> None:
    result = cli("failover", "--region", "us-west-2")
    assert result.returncode == 3
    assert "no detection alarm is in ALARM in us-east-1" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("  weight: 100", "  weight: 100\n  wieght: 5", "wieght", "dns.wieght: unknown key"),
        ("  weight: 100", "  weight: lots", "weight: lots", "dns.weight:"),
        ("  rpo: 15m", "  rpo: 15 minutes", "rpo: 15 minutes", "not a duration: '15 minutes'"),
    ],
)
def test_malformed_playbook_gives_file_and_line(cli, tmp_path, old, new, needle, message,
                                                unchanged) -> None:
    path = playbook_with(tmp_path, old, new)
    for args in (["validate", path, "--offline"],
                 ["failover", "--region", "us-west-2", "--yes", "--playbook", path],
                 ["plan", "--region", "us-west-2", "--playbook", path]):
        result = cli(*args)
        assert result.returncode == 2, result
        assert f"{path}:{line_of(path, needle)}:" in result.stderr
        assert message in result.stderr


@pytest.mark.parametrize(("when", "message"), [
    ("yesterday", "not an ISO 8601 time"),
    ("2026-03-01T10:00:00", "has no UTC offset"),
    ("2999-01-01T00:00:00Z", "is in the future"),
    ("2026-11-30 22:00:00", "has no UTC offset"),
    ("2026-11-30", "has no UTC offset"),
    ("0", "not an ISO 8601 time"),
    ("1970-01-01T00:00:00Z", "implausibly old"),
])
def test_bad_incident_start_is_invalid_input(cli, unchanged, when, message) -> None:
    result = cli("failover", "--region", "us-west-2", "--yes", "--incident-start", when)
    assert result.returncode == 2
    assert message in result.stderr
    assert cli.json("runs", "list") == []


def test_valid_playbook_validates_live(cli) -> None:
    result = cli("validate", str(PLAYBOOK))
    assert result.returncode == 0, result.stderr
    assert "valid (schema and live resources)" in result.stdout


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("target: dynamodb:roadtrip-pois", "target: dynamodb:roadtrip-poi",
     "target: dynamodb:roadtrip-poi", "roadtrip-poi"),
    ("target: dynamodb:roadtrip-pois", "target: dynamodb:roadtrip-heartbeats",
     "kinds: [pitr, snapshot]", "point-in-time recovery is off for roadtrip-heartbeats"),
])
def test_validate_checks_drill_targets_live(cli, tmp_path, old, new, needle, message) -> None:
    path = playbook_with(tmp_path, old, new)
    # The nightly schedule names the target too; it follows the rename.
    renamed = new.removeprefix("target: ")
    Path(path).write_text(Path(path).read_text().replace('"dynamodb:roadtrip-pois"',
                                                         f'"{renamed}"'))
    result = cli("validate", path)
    assert result.returncode == 2
    assert f"{path}:{line_of(path, needle)}" in result.stdout + result.stderr
    assert message in result.stdout + result.stderr


@pytest.mark.parametrize("how", ["garbage", "truncated", "garbage page", "zero-length"])
def test_a_corrupt_journal_stops_the_failover_before_anything_changes(
    cli, unchanged, how: str
) -> None:
    from tests.unit.test_sqlite_journal_file import damage, journal_with_history

    journal = cli.state_dir / "journal.db"
    journal.parent.mkdir(parents=True)
    journal_with_history(journal)
    damage(journal, how)

    result = cli("failover", "--region", "us-west-2", "--yes")

    assert result.returncode == 2, result.stderr
    assert "corrupt" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr and "DatabaseError" not in result.stderr
    # Reading what can still be read is allowed (a bad page elsewhere does not hide the
    # history); what cannot be read is the same clear error, never a traceback.
    listed = cli("runs", "list")
    assert listed.returncode in (0, 2) and "Traceback" not in listed.stderr, listed.stderr
    if how != "garbage page":
        assert listed.returncode == 2 and "corrupt" in listed.stderr
    # The hint is a command that works: after it, drctl starts a new journal.
    hint = next(line for line in result.stderr.splitlines() if "mkdir" in line)
    command = hint[hint.index("mkdir"):]
    assert subprocess.run(command, shell=True, check=False).returncode == 0
    assert cli.json("runs", "list") == []


def test_validate_points_each_live_finding_at_its_own_line(cli, tmp_path, unchanged) -> None:
    path = playbook_with(tmp_path, "table: roadtrip-heartbeats", "table: roadtrip-heartbeatz")
    text = Path(path).read_text()
    for old, new in (("voice: 3", "voyce: 3"), ("name: api.roadcopilot.com",
                                                "name: apj.roadcopilot.com")):
        text = text.replace(old, new, 1)
    Path(path).write_text(text)

    result = cli("validate", path)

    assert result.returncode == 2
    out = result.stdout + result.stderr
    for needle, message in (
        ("table: roadtrip-heartbeatz", "heartbeat table roadtrip-heartbeatz not found in "
                                       "us-west-2"),
        ("voyce: 3", "ECS service voyce not found in cluster roadtrip (us-west-2)"),
        ("name: apj.roadcopilot.com", "CNAME record apj.roadcopilot.com"),
    ):
        assert f"{path}:{line_of(path, needle)}: {message}" in out, out


def test_a_heartbeat_nobody_writes_is_found_by_validate_and_named_by_plan(
    cli, tmp_path, unchanged
) -> None:
    path = playbook_with(tmp_path, 'key: {writer: "{failed_region}"}',
                         'key: {writer: "{failed_region}-old"}')

    result = cli("validate", path)

    assert result.returncode == 2
    at = f"{path}:{line_of(path, 'key: {writer:')}"
    for region in ("us-east-1", "us-west-2"):
        assert f"{at}: no heartbeat {{'writer': 'us-east-1-old'}} in roadtrip-heartbeats " \
               f"({region})" in result.stdout + result.stderr
    # plan still measures the RPO by the next source, and says which one it could not use.
    plan = cli("plan", "--region", "us-west-2", "--playbook", path)
    assert plan.returncode == 0, plan.stderr
    assert "not used: database: heartbeat {'writer': 'us-east-1-old'} not found" in \
        " ".join(plan.stdout.split()), plan.stdout
