"""Retries are logged once per burst, not once per attempt (issue 8 item 20), read from real
botocore calls to a flaky endpoint on loopback; people get a sentence, machines (--log-json)
a JSON line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import structlog
from botocore.config import Config
from structlog.testing import capture_logs

from drctl.aws.clients import ClientFactory
from drctl.cli.logs import configure_logging
from drctl.cli.main import run


class Flaky(ThreadingHTTPServer):
    """Answers DynamoDB: `failures` throttling errors (or 503s), then ListTables."""

    def __init__(self, failures: int, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures, self.status, self.calls = failures, status, 0


class _Handler(BaseHTTPRequestHandler):
    server: Flaky

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.calls += 1
        if self.server.calls <= self.server.failures:
            code = "ThrottlingException" if self.server.status == 400 else "ServiceUnavailable"
            self._reply(self.server.status, {"__type": f"com.amazonaws#{code}",
                                             "message": "slow down"})
        else:
            self._reply(200, {"TableNames": ["t"]})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flaky]:
    failures, status = request.param
    server = Flaky(failures, status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=5)


def dynamodb() -> Any:
    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2,
                    read_timeout=5)
    return ClientFactory(config=config).client("dynamodb", "us-east-1")


def bursts(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "aws_retried"]


@pytest.mark.parametrize("flaky", [(2, 400)], indirect=True)
def test_a_burst_that_recovers_is_one_record(flaky: Flaky) -> None:
    with capture_logs() as logs:
        assert dynamodb().list_tables()["TableNames"] == ["t"]

    assert flaky.calls == 3
    [burst] = bursts(logs)
    assert burst["operation"] == "dynamodb:ListTables"
    assert (burst["failed_attempts"], burst["outcome"]) == (2, "succeeded")
    assert burst["codes"] == ["ThrottlingException"] * 2
    assert burst["log_level"] == "warning"


@pytest.mark.parametrize("flaky", [(99, 503)], indirect=True)
def test_a_burst_that_gives_up_is_one_record(flaky: Flaky) -> None:
    client = dynamodb()
    with capture_logs() as logs, pytest.raises(client.exceptions.ClientError):
        client.list_tables()

    assert flaky.calls >= 4  # every attempt botocore allows (DynamoDB's own retry quota on top)
    [burst] = bursts(logs)
    assert (burst["failed_attempts"], burst["outcome"]) == (flaky.calls,
                                                            "gave up (ServiceUnavailable)")


@pytest.mark.parametrize("flaky", [(0, 400)], indirect=True)
def test_a_call_without_failures_logs_nothing(flaky: Flaky) -> None:
    with capture_logs() as logs:
        dynamodb().list_tables()
        dynamodb().list_tables()

    assert bursts(logs) == []


@pytest.mark.parametrize("flaky", [(2, 400)], indirect=True)
@pytest.mark.usefixtures("flaky")
def test_people_get_one_sentence_per_burst(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0)  # as `drctl` without --log-json, stderr not a terminal
    dynamodb().list_tables()

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert "AWS dynamodb:ListTables: 2 attempts failed (ThrottlingException, " \
        "ThrottlingException), then succeeded after" in lines[0]
    assert "{" not in lines[0]


@pytest.mark.parametrize("flaky", [(2, 400)], indirect=True)
@pytest.mark.usefixtures("flaky")
def test_machines_get_one_json_line_per_burst(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0, json_lines=True)
    dynamodb().list_tables()

    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert (record["event"], record["failed_attempts"]) == ("aws_retried", 2)


def test_log_json_is_an_option_of_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--log-json", "--version"]) == 0
    assert run(["--help"]) == 0
    assert "--log-json" in capsys.readouterr().out
    structlog.reset_defaults()
