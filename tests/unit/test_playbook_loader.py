"""Playbook loading (drctl/playbook/loader.py) and schema: every problem as `file:line`."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.core.errors import PlaybookError
from drctl.playbook.loader import load_playbook, locate

ROADTRIP = Path(__file__).resolve().parents[2] / "playbooks" / "roadtrip.yaml"

VALID = """\
name: tiny
regions:
  us-east-1:
    role: primary
    endpoint: http://east
  us-west-2:
    role: secondary
    endpoint: http://west
detection:
  alarms: ["api-5xx-{region}"]
dns:
  zone: example.com
  records:
    - name: api.example.com
  weight: 100
smoke_tests:
  checks:
    - name: health
      url: "{endpoint}/health"
rpo:
  - heartbeat:
      table: heartbeats
      key: {writer: "{failed_region}"}
"""


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line of `text` containing `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    return caught.value


def assert_points_at(error: PlaybookError, path: Path, line: int, *words: str) -> None:
    assert error.exit_code == 2
    assert error.location == f"{path}:{line}"
    assert str(error).startswith(f"{path}:{line}: ")
    for word in words:
        assert word in str(error)


# --- the worked example ----------------------------------------------------------------------


def test_roadtrip_loads_with_the_default_endpoints() -> None:
    playbook = load_playbook(ROADTRIP, env={})

    assert playbook.name == "roadtrip"
    assert playbook.primary_region == "us-east-1"
    assert playbook.regions["us-east-1"].endpoint == "https://api-us-east-1.roadcopilot.com"
    assert playbook.regions["us-west-2"].endpoint == "https://api-us-west-2.roadcopilot.com"
    assert (playbook.targets.rto, playbook.targets.rpo) == (3600.0, 900.0)
    assert playbook.confirmation.timeout == 900.0
    assert playbook.dns.timeout == 300.0
    assert playbook.smoke_tests.interval == 2.0
    assert playbook.alarms_for("us-east-1") == [
        "roadtrip-api-5xx-us-east-1", "roadtrip-api-latency-us-east-1"
    ]
    assert [ch.webhook.url_env for ch in playbook.notify if ch.webhook] == ["DRCTL_WEBHOOK_URL"]


def test_roadtrip_endpoints_come_from_the_environment() -> None:
    playbook = load_playbook(ROADTRIP, env={"ROADTRIP_API_US_WEST_2": "http://127.0.0.1:8102"})

    assert playbook.regions["us-west-2"].endpoint == "http://127.0.0.1:8102"
    assert playbook.regions["us-east-1"].endpoint == "https://api-us-east-1.roadcopilot.com"


def test_a_minimal_playbook_gets_the_design_targets(tmp_path: Path) -> None:
    playbook = load_playbook(write(tmp_path, VALID), env={})

    assert (playbook.targets.rto, playbook.targets.rpo) == (3600.0, 900.0)
    assert playbook.dns.records[0].routing == "weighted"
    assert playbook.dns.records[0].set_identifier("us-west-2") == "us-west-2"


def test_an_empty_default_is_allowed(tmp_path: Path) -> None:
    text = VALID.replace("name: tiny", "name: tiny${SUFFIX:-}")

    assert load_playbook(write(tmp_path, text), env={}).name == "tiny"


# --- bad input, with file:line ---------------------------------------------------------------


def test_an_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    text = VALID.replace("  weight: 100\n", "  weight: 100\n  wieght: 3\n")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "wieght"), "dns.wieght", "unknown key")


def test_an_unknown_key_in_a_list_item_points_at_the_key(tmp_path: Path) -> None:
    text = VALID.replace('      url: "{endpoint}/health"\n',
                         '      url: "{endpoint}/health"\n      expect: 200\n')
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "expect:"),
                     "smoke_tests.checks.0.expect", "unknown key")


def test_a_wrong_type_points_at_the_key(tmp_path: Path) -> None:
    text = VALID.replace("weight: 100", "weight: lots")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "weight: lots"),
                     "dns.weight", "valid integer")


def test_a_duration_in_words_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("smoke_tests:\n", "smoke_tests:\n  timeout: 15 minutes\n")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "15 minutes"),
                     "smoke_tests.timeout", "not a duration: '15 minutes'")


def test_a_missing_top_level_key_is_named(tmp_path: Path) -> None:
    text = VALID.replace('detection:\n  alarms: ["api-5xx-{region}"]\n', "")
    path = write(tmp_path, text)

    error = load_error(path)

    assert error.exit_code == 2
    assert "detection: required key is missing" in str(error)
    assert str(error).startswith(f"{path}:")


def test_a_missing_nested_key_points_at_its_parent(tmp_path: Path) -> None:
    text = VALID.replace("  zone: example.com\n", "")
    path = write(tmp_path, text)

    # `dns:` is where the key belongs; the line after it is `records:`, a different key.
    assert_points_at(load_error(path), path, line_of(text, "dns:"),
                     "dns.zone", "required key is missing")


def test_two_primaries_point_at_the_regions(tmp_path: Path) -> None:
    text = VALID.replace("role: secondary", "role: primary")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "regions:"),
                     "exactly one region has role primary (found 2)")


def test_invalid_yaml_points_at_the_problem(tmp_path: Path) -> None:
    text = VALID.replace("name: tiny\n", "name: tiny\n  bad: indent\n")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "bad: indent"), "not valid YAML")


def test_a_document_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")

    assert_points_at(load_error(path), path, 1, "a playbook is a YAML mapping")


def test_an_unset_variable_without_default_points_at_its_line(tmp_path: Path) -> None:
    text = VALID.replace("http://west", "${UNSET_VAR}")
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "UNSET_VAR"),
                     "environment variable UNSET_VAR is not set")


def test_an_unset_variable_is_taken_from_the_env_given(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("http://west", "${WEST_URL}"))

    playbook = load_playbook(path, env={"WEST_URL": "http://10.0.0.2"})

    assert playbook.regions["us-west-2"].endpoint == "http://10.0.0.2"


def test_a_channel_with_two_kinds_points_at_the_channel(tmp_path: Path) -> None:
    text = VALID + "notify:\n  - console: {}\n  - sns: {topic: alerts}\n    console: {}\n"
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "sns: {topic: alerts}"),
                     "notify.1", "give exactly one of sns, webhook or console")


def test_an_rpo_source_with_none_points_at_the_source(tmp_path: Path) -> None:
    text = VALID + "  - {}\n"
    path = write(tmp_path, text)

    assert_points_at(load_error(path), path, line_of(text, "- {}"),
                     "rpo.data.1", "give exactly one of heartbeat, cloudwatch or s3")


def test_an_unreadable_playbook_is_a_playbook_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"

    error = load_error(path)

    assert error.exit_code == 2
    assert str(error).startswith(f"{path}: cannot read playbook")


# --- locate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "needle"),
    [
        (("dns", "weight"), "  weight: 100"),
        (("regions", "us-west-2", "endpoint"), "ROADTRIP_API_US_WEST_2"),
        (("regions", "us-east-1", "role"), "role: primary"),
        (("notify", 1), "- webhook:"),
        (("scale", "ecs", 0, "services", "voice"), "voice: 3"),
        (("smoke_tests", "checks", 0, "url"), "url:"),
    ],
)
def test_locate_finds_the_line_of_an_entry(loc: tuple[object, ...], needle: str) -> None:
    text = ROADTRIP.read_text(encoding="utf-8")

    assert locate(ROADTRIP, loc) == f"{ROADTRIP}:{line_of(text, needle)}"


def test_locate_of_a_missing_file_is_the_file(tmp_path: Path) -> None:
    assert locate(tmp_path / "nope.yaml", ("dns",)) == str(tmp_path / "nope.yaml")
