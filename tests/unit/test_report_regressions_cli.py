"""Recovery getting slower, seen before it misses a target -- in process, through the CLI.

The journal is made by the real engine on the fake clock: ten failovers whose switch_dns takes
2-4 s (p50 3 s, nearest rank), then one whose switch_dns takes 41 s, then one that takes 8 s
(more than twice the p50 but only 5 s worse: not a regression by the default rule). Each
failover ends with the real notify step, whose summary is judged against the journal's earlier
failovers. The slow run is flagged in its own summary as the issue words it, and by
`drctl report` (table, JSON, Markdown) and `drctl runs show --format md`; nothing else is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drctl.cli.main import app
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.notify.base import MemoryChannel, Notification
from drctl.store.sqlite import SqliteStore
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder

SWITCH_DNS = (2, 3, 3, 2, 3, 4, 3, 2, 3, 3)
FLAG = "switch_dns took 41 s, p50 of the last 10 runs 3 s"
SINCE = ["--since", "2025-12-01T00:00:00Z"]


@dataclass(frozen=True)
class Journal:
    state: Path
    sent: list[Notification]
    slow: str        # the 41 s run
    edge: str        # the 8 s run, just inside the rule
    first: str       # the first run: no history to judge it by


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Journal:
    state = tmp_path_factory.mktemp("state")
    store, clock, inbox = SqliteStore(state / "journal.db"), FakeClock(T0), MemoryChannel()
    build = JournalBuilder(Engine(store, clock), clock, notify=inbox)
    ids = []
    for seconds in (*SWITCH_DNS, 41, 8):
        ids.append(build.failover(seconds, rpo=10))
        build.next_day()
    store.close()
    return Journal(state, inbox.sent, slow=ids[-2], edge=ids[-1], first=ids[0])


def drctl(state: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--state-dir", str(state), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def sent_for(journal: Journal, run_id: str) -> Notification:
    (note,) = [n for n in journal.sent if n.data["run_id"] == run_id]
    return note


def test_the_slow_run_is_flagged_in_its_own_summary(journal: Journal) -> None:
    note = sent_for(journal, journal.slow)
    assert f"REGRESSION: {FLAG}" in note.text.splitlines()
    (flagged,) = note.data["summary"]["regressions"]
    assert (flagged["what"], flagged["seconds"], flagged["baseline_p50"],
            flagged["baseline_runs"]) == ("switch_dns", 41.0, 3.0, 10)
    for quiet in (journal.edge, journal.first):
        assert "REGRESSION" not in sent_for(journal, quiet).text
        assert sent_for(journal, quiet).data["summary"]["regressions"] == []


def test_drctl_report_flags_it_in_every_format(journal: Journal) -> None:
    (group,) = json.loads(drctl(journal.state, "report", *SINCE, "--json"))["groups"]
    assert [(r["run_id"], r["what"], r["message"]) for r in group["regressions"]] == \
        [(journal.slow, "switch_dns", FLAG)]
    table = drctl(journal.state, "report", *SINCE)
    assert f"REGRESSION failover {journal.slow}: {FLAG}" in table
    assert table.count("REGRESSION") == 1
    markdown = drctl(journal.state, "report", *SINCE, "--format", "md")
    assert f"- `{journal.slow}` (failover): {FLAG}" in markdown


def test_runs_show_gives_the_same_summary(journal: Journal) -> None:
    page = drctl(journal.state, "runs", "show", journal.slow, "--format", "md")
    assert f"- REGRESSION: {FLAG}" in page
    assert "REGRESSION" not in drctl(journal.state, "runs", "show", journal.edge, "--format",
                                     "md")


def test_a_stricter_rule_flags_the_edge_run_too(journal: Journal) -> None:
    (group,) = json.loads(drctl(journal.state, "report", *SINCE, "--json",
                                "--regression-margin", "4s"))["groups"]
    assert [r["run_id"] for r in group["regressions"]] == [journal.slow, journal.edge]
