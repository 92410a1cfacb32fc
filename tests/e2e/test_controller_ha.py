"""Two controllers on the sandbox's DynamoDB store: one leads; SIGKILL it and the other leads
within the lease TTL; every nominal fire is handled exactly once (run, skipped, coalesced or
journaled missed -- none twice, none silently lost); the dead leader's unfinished run shows
`interrupted`; /metrics parses with prometheus-client's own parser and matches the journal."""

from __future__ import annotations

import json
import secrets
import shlex
import signal
import socket
import subprocess
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from drctl.aws.clients import ClientFactory
from drctl.core.clock import parse_iso
from drctl.core.run import Run
from drctl.sandbox.manager import SandboxInfo
from drctl.store.base import Store, list_runs
from drctl.store.dynamodb import DynamoStore
from drctl.store.open import open_store
from tests.e2e.helpers import Cli, wait_until
from tests.e2e.test_controller import game_day_playbook

pytestmark = pytest.mark.e2e
TTL = 4.0
EVERY = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def health(port: int) -> dict[str, Any]:
    code, body = get(port, "/healthz")
    return json.loads(body) if code in (200, 503) else {}


@pytest.fixture
def state_url(aws: ClientFactory) -> Iterator[str]:
    """A store table made before the controllers start (a controller creates none)."""
    table = f"drctl-ha-{secrets.token_hex(3)}"
    DynamoStore(aws.client("dynamodb", "us-east-1"), table).create_table()
    yield f"dynamodb://{table}?region=us-east-1"
    aws.client("dynamodb", "us-east-1").delete_table(TableName=table)


@pytest.fixture
def started(sandbox: SandboxInfo, tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:  # each by its pid, whatever the test did
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=30)
        # Kept with the test's tmp_path: what each controller did, when a run needs reading.
        (tmp_path / f"controller-{process.pid}.log").write_text(stderr or "", encoding="utf-8")


def ha_playbook(tmp_path: Path) -> Path:
    playbook = tmp_path / "ha.yaml"
    playbook.write_text(game_day_playbook("ha", f"""\
  - name: pois-drill
    every: {EVERY}s
    drill: {{target: "dynamodb:roadtrip-pois", kind: pitr}}"""), encoding="utf-8")
    return playbook


def test_sigkill_the_leader_and_the_other_leads_without_a_duplicate_or_a_silent_gap(
        sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path, state_url: str,
        started: list[subprocess.Popen[str]]) -> None:
    playbook = ha_playbook(tmp_path)
    cli = Cli(sandbox, tmp_path / "state")
    ports = free_port(), free_port()

    def controller(port: int) -> subprocess.Popen[str]:
        process = cli.spawn("--state", state_url, "controller", "--playbook", str(playbook),
                            "--listen", str(port), "--lease-ttl", f"{TTL}s")
        started.append(process)
        return process

    first = controller(ports[0])
    wait_until(lambda: health(ports[0]).get("leader"), 60, "the first controller to lead")
    second = controller(ports[1])
    follower = wait_until(lambda: health(ports[1]).get("last_tick_at") and health(ports[1]),
                          60, "the second controller to tick")
    assert follower["leader"] is False and follower["leader_id"] == health(ports[0])["leader_id"]
    store = open_store(state_url, ClientFactory())
    wait_until(lambda: len(list_runs(store, "drill")) >= 2, 60, "two scheduled fires")

    last_seen = parse_iso(health(ports[0])["lease_expires_at"])
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    took_over = wait_until(lambda: health(ports[1]).get("leader") and health(ports[1]),
                           TTL + 30, "the second controller to lead")
    lease = store.lease("controller-leader:ha")
    assert lease is not None and lease.holder == took_over["leader_id"]
    # Taken over once the dead leader's lease ran out, within one renewal period after it
    # (by the store's own timestamps, not the test's).
    assert lease.acquired_at >= last_seen - timedelta(seconds=TTL)
    assert lease.acquired_at - last_seen <= timedelta(seconds=TTL / 3 + 2)
    after_kill = len(list_runs(store, "drill"))
    wait_until(lambda: len(list_runs(store, "drill")) >= after_kill + 2, 60,
               "fires after the takeover")

    text = wait_until(lambda: metrics_match(ports[1], store, second.pid), 60,
                      "/metrics to count the runs the journal shows ended")
    second.send_signal(signal.SIGTERM)
    _, stderr = second.communicate(timeout=60)
    assert second.returncode == 0, stderr[-2000:]

    runs = list_runs(store, "drill", 1000)
    lost = fires_lost(runs)
    # The dead leader's drill holds the playbook's disruptive slot no more: its lease expired.
    blocked = [r.run_id for r in runs if r.owner.get("pid") == second.pid
               and f"(pid {first.pid})" in (r.error or "")]
    assert not blocked, blocked
    dead = [r for r in runs if r.owner.get("pid") == first.pid and not r.status.finished]
    assert all(str(r.effective_status) == "interrupted" for r in dead)
    assert_scrape(text)
    # The gap of issue 11 (a leader SIGKILLed before its first cursor write left the next
    # leader starting from its own "now") is fixed: every nominal fire is handled.
    assert not lost, f"fire(s) around the killed leader neither run nor journaled missed: {lost}"


def fires_lost(runs: list[Run]) -> str:
    """Each nominal fire from the first handled to the last: one run stands for it (its own
    fire, or one it coalesced or journaled `missed` with it). None twice (asserted); returns
    the fires none stands for, with what the journal shows."""
    handled: Counter[str] = Counter()
    for run in runs:
        trigger = run.params["trigger"]
        handled[trigger["fire_time"]] += 1
        for fire in trigger.get("coalesced", []):
            handled[fire] += 1
    assert max(handled.values()) == 1, handled  # none twice
    times = sorted(parse_iso(t) for t in handled)
    nominal = {times[0] + timedelta(seconds=EVERY * i)
               for i in range(int((times[-1] - times[0]).total_seconds()) // EVERY + 1)}
    shown = sorted((r.params["trigger"]["fire_time"], r.params["trigger"].get("coalesced"),
                    r.owner.get("pid"), str(r.effective_status)) for r in runs)
    assert not set(times) - nominal, (times, shown)  # nothing off the schedule
    lost = sorted(nominal - set(times))
    return f"{[iso for iso in map(str, lost)]} in {shown}" if lost else ""


def ended(store: Store, pid: int) -> Counter[str]:
    return Counter(str(r.status) for r in list_runs(store, "drill", 1000)
                   if r.owner.get("pid") == pid and r.status.finished)


def samples_of(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def metrics_match(port: int, store: Store, pid: int) -> str | None:
    """The scrape, if it counts every run journaled as ended before it and none journaled
    after it (runs keep ending: a run's end is counted just after its journal write)."""
    before = ended(store, pid)
    code, text = get(port, "/metrics")
    after = ended(store, pid)
    if code != 200:
        return None
    samples = samples_of(text)
    for status in set(before) | set(after):
        counted = samples.get(("drctl_runs_total", (("kind", "drill"), ("status", status))), 0)
        if not before[status] <= counted <= after[status]:
            return None
    return text


def assert_scrape(text: str) -> None:
    samples = samples_of(text)
    assert samples[("drctl_is_leader", ())] == 1.0
    next_fire = samples[("drctl_schedule_next_fire_timestamp_seconds",
                         (("schedule", "ha/pois-drill"),))]
    assert next_fire % EVERY == 0


def test_a_controller_in_a_region_the_store_table_is_not_in_is_refused_and_the_hint_runs(
        sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path, state_url: str) -> None:
    """The README's second-region controller before its table is replicated there: it would
    create a table of its own and lead beside the first region's controllers (two leaders)."""
    playbook = ha_playbook(tmp_path)
    cli = Cli(sandbox, tmp_path / "state")
    west = state_url.replace("region=us-east-1", "region=us-west-2")
    table = state_url.removeprefix("dynamodb://").partition("?")[0]

    refused = cli("--state", west, "controller", "--playbook", str(playbook), "--once")

    assert refused.returncode == 2, refused.stderr
    assert f"table {table} does not exist in us-west-2 but in us-east-1" in refused.stderr
    assert table not in aws.client("dynamodb", "us-west-2").list_tables()["TableNames"]
    hint = refused.stderr.split("hint: ", 1)[1].strip()
    assert hint == (f"drctl --state '{state_url}' controller --playbook {playbook} --once")
    ran = cli(*shlex.split(hint)[1:])
    assert ran.returncode == 0, ran.stderr
    assert "controller_started" in ran.stderr
