"""The playbook's `schedules:`, detection criteria and `controller:` settings, validated with
file:line like the rest of the playbook; the experiment extension's `schedule` key refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.chaos.extension import guard_rails
from drctl.core.errors import InvalidInput, PlaybookError
from drctl.playbook.loader import load_playbook
from tests.unit.test_playbook_loader import ROADTRIP, VALID

DRILLS = """\
drills:
  targets:
    - target: dynamodb:pois
      region: us-east-1
      kinds: [pitr]
"""


def _load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "pb.yaml"
    path.write_text(VALID + DRILLS + extra, encoding="utf-8")
    return load_playbook(path)


def _error(tmp_path: Path, extra: str) -> str:
    with pytest.raises(PlaybookError) as info:
        _load(tmp_path, extra)
    return str(info.value)


def test_the_shipped_playbook_declares_schedules() -> None:
    playbook = load_playbook(ROADTRIP)
    kinds = {s.name: s.kind for s in playbook.schedules}
    assert kinds["api-task-loss"] == "chaos" and kinds["pois-pitr-nightly"] == "drill"
    assert playbook.detection.failover.when == "any"
    assert playbook.detection.failover.for_ == 30.0


def test_cron_every_jitter_windows_and_criteria_parse(tmp_path: Path) -> None:
    playbook = _load(tmp_path, """\
schedules:
  - name: nightly
    cron: "0 3 * * *"
    timezone: Europe/Berlin
    jitter: 5m
    blocked_windows: [{days: [fri], start: "16:00", end: "23:59"}]
    drill: {target: "dynamodb:pois"}
  - name: game-day
    every: 30s
    chaos: experiments/x.json
    vars: {service: api}
controller: {resume: auto, canary: {every: 2s}}
""")
    nightly, game_day = playbook.schedules  # type: ignore[attr-defined]
    assert (nightly.cron, nightly.timezone, nightly.jitter) == ("0 3 * * *", "Europe/Berlin", 300)
    assert nightly.blocked_windows[0].days == ["fri"]
    assert game_day.every == 30 and game_day.vars == {"service": "api"}
    assert playbook.controller.resume == "auto"  # type: ignore[attr-defined]
    assert playbook.controller.canary.every == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(("extra", "message"), [
    ("schedules:\n  - name: a\n    drill: {target: 'dynamodb:pois'}\n",
     "pb.yaml:30: schedules.0: give exactly one trigger"),
    ("schedules:\n  - name: a\n    cron: '* * *'\n    drill: {target: 'dynamodb:pois'}\n",
     "pb.yaml:31: schedules.0.cron: cron '* * *': five fields"),
    ("schedules:\n  - name: a\n    cron: '61 * * * *'\n    drill: {target: 'dynamodb:pois'}\n",
     "schedules.0.cron: cron '61 * * * *'"),
    ("schedules:\n  - name: a\n    every: 5s\n    timezone: Mars/Base\n    chaos: x.json\n",
     "pb.yaml:32: schedules.0.timezone: unknown time zone 'Mars/Base'"),
    ("schedules:\n  - name: a\n    every: soon\n    chaos: x.json\n",
     "schedules.0.every: not a duration"),
    ("schedules:\n  - name: a\n    every: 5s\n", "give exactly one of chaos, drill or runbook"),
    ("schedules:\n  - name: a\n    every: 5s\n    drill: {target: 'dynamodb:nope'}\n",
     "unknown drill target 'dynamodb:nope' (drill targets: dynamodb:pois)"),
    ("schedules:\n  - {name: a, every: 5s, drill: {target: 'dynamodb:pois', kind: snapshot}}\n",
     "dynamodb:pois declares no snapshot drill"),
    ("schedules:\n  - {name: a, every: 5s, chaos: x.json}\n"
     "  - {name: a, every: 9s, chaos: y.json}\n",
     "two schedules are named 'a'"),
    ("schedules:\n  - {name: a, every: 5s, drill: {target: 'dynamodb:pois'}, vars: {x: 1}}\n",
     "vars are for a chaos experiment"),
    ("schedules:\n  - {name: a, every: 5s, chaos: x.json, colour: red}\n",
     "schedules.0.colour: unknown key"),
    ("controller: {resume: sometimes}\n", "pb.yaml:29: controller.resume"),
])
def test_bad_schedules_are_refused_with_file_and_line(tmp_path: Path, extra: str,
                                                      message: str) -> None:
    assert message in _error(tmp_path, extra)


def test_detection_criteria_and_topic(tmp_path: Path) -> None:
    text = (VALID + DRILLS).replace(
        'alarms: ["api-5xx-{region}"]',
        'alarms: ["api-5xx-{region}"]\n  topic: alarms\n  failover: {when: all, for: 1m}')
    path = tmp_path / "pb.yaml"
    path.write_text(text, encoding="utf-8")
    detection = load_playbook(path).detection
    assert (detection.topic, detection.failover.when, detection.failover.for_) == (
        "alarms", "all", 60.0)
    path.write_text(text.replace("when: all", "when: most"), encoding="utf-8")
    with pytest.raises(PlaybookError, match=r"pb.yaml:12: detection.failover.when"):
        load_playbook(path)


def test_the_experiment_extension_refuses_a_schedule_and_points_at_the_playbook() -> None:
    experiment = {"extensions": [{"name": "drctl", "schedule": "0 10 * * *"}]}
    with pytest.raises(InvalidInput, match=r"playbook's `schedules:`"):
        guard_rails(experiment)
