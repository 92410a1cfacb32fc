"""The HTML report in a real headless Chromium (Debian's `chromium`; `make test-browser`).

Missing Chromium fails these tests: CI must not pass without having looked at the page.
Screenshots are kept in $DRCTL_BROWSER_ARTIFACTS (default: the test's tmp dir).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.report.html import report_html, run_html
from drctl.report.model import Filters, build_report
from drctl.report.records import load_records
from drctl.report.summary import summary_of_run
from drctl.store.base import load_run
from drctl.store.memory import MemoryStore
from tests.browser.cdp import PageResult, open_page
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def journal() -> tuple[MemoryStore, list[str]]:
    store, clock = MemoryStore(), FakeClock(T0)
    build = JournalBuilder(Engine(store, clock), clock)
    ids = [build.failover(d, rpo=r, smoke_fails=f)
           for d, r, f in ((2, 10, False), (3, 1000, False), (4, 10, True), (41, 12, False))]
    ids.append(build.drill("rds:roadtrip-db", "snapshot", restore=300))
    ids += [build.chaos(passes) for passes in (True, False)]
    return store, ids


def artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("DRCTL_BROWSER_ARTIFACTS", tmp_path))
    where.mkdir(parents=True, exist_ok=True)
    return where


def load(tmp_path: Path, name: str, html: str) -> PageResult:
    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    result = open_page(page)
    (artifacts(tmp_path) / f"{page.stem}.png").write_bytes(result.screenshot)
    return result


def stays_in_the_file(result: PageResult, page: str) -> list[str]:
    """Requests that went anywhere but the file itself or an inline data: URI."""
    return [url for url in result.requests
            if not (url.endswith(page) and url.startswith("file://"))
            and not url.startswith("data:")]


def test_report_page_has_charts_and_tables_and_fetches_nothing(
    journal: tuple[MemoryStore, list[str]], tmp_path: Path
) -> None:
    store, ids = journal
    report = build_report(load_records(store), T0 + timedelta(days=1), Filters(T0))
    result = load(tmp_path, "report.html", report_html(report))

    assert result.errors == []
    assert stays_in_the_file(result, "report.html") == []
    images = result.dom["images"]
    # RTO and RPO per run for failovers and drills, chaos verdicts, one timeline per failover.
    assert len(images) == 2 + 2 + 1 + 4
    assert all(i["src"] == "data:image/png;base64," and i["width"] > 300 for i in images), images
    assert {i["alt"] for i in images} >= {"RTO per run over time, target dashed",
                                          "chaos verdicts over time", f"timeline of {ids[0]}"}
    assert result.dom["tables"] >= 6
    assert all(run_id in result.dom["text"] for run_id in ids)
    assert "switch_dns took 41 s, p50 of the last 3 runs 3 s" in result.dom["text"]
    assert result.screenshot.startswith(PNG) and len(result.screenshot) > 20_000


def test_run_page_shows_its_timeline(journal: tuple[MemoryStore, list[str]],
                                     tmp_path: Path) -> None:
    store, ids = journal
    summary = summary_of_run(store, load_run(store, ids[3]), T0 + timedelta(days=1))
    result = load(tmp_path, "run.html", run_html(summary))

    assert result.errors == [] and stays_in_the_file(result, "run.html") == []
    assert [i["alt"] for i in result.dom["images"]] == [f"timeline of {ids[3]}"]
    assert result.dom["images"][0]["width"] > 300
    assert "REGRESSION: switch_dns took 41 s" in result.dom["text"]


# --- the checks can fail: a page that reaches out and logs an error is caught ------------------


class _Hits(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:
        _Hits.paths.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[int]:
    _Hits.paths = []
    server = HTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_page_that_fetches_or_errs_is_caught(loopback: int, tmp_path: Path) -> None:
    leaky = (f'<html><body><img src="http://127.0.0.1:{loopback}/leak.png">'
             '<script>console.error("boom")</script></body></html>')
    result = load(tmp_path, "leaky.html", leaky)
    assert stays_in_the_file(result, "leaky.html") == [f"http://127.0.0.1:{loopback}/leak.png"]
    assert any("boom" in error for error in result.errors), result.errors
    assert _Hits.paths == ["/leak.png"]
