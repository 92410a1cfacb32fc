"""Secrets never reach a log line (drctl/cli/logs.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from drctl.cli.logs import configure_logging, redact

WEBHOOK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DRCTL_WEBHOOK_URL", WEBHOOK)
    return WEBHOOK


def test_the_webhook_url_is_masked_in_every_string_value(webhook: str) -> None:
    event = {
        "event": f"POST {webhook} failed",
        "error": f"ConnectError: [Errno 111] Connection refused for url '{webhook}'",
        "channel": "webhook",
        "detail": f"retrying {webhook} then {webhook}",
    }

    redacted = redact(None, "warning", dict(event))

    assert all(webhook not in value for value in redacted.values())
    assert redacted == {
        "event": "POST *** failed",
        "error": "ConnectError: [Errno 111] Connection refused for url '***'",
        "channel": "webhook",
        "detail": "retrying *** then ***",
    }


def test_values_without_secrets_are_left_alone(webhook: str) -> None:
    event = {"event": "step_succeeded", "run_id": "fo-1", "attempt": 2, "ok": True,
             "endpoint": "https://api-us-west-2.roadcopilot.com"}

    assert redact(None, "info", dict(event)) == event


def test_a_url_under_a_secret_looking_key_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRCTL_WEBHOOK_URL", raising=False)

    redacted = redact(None, "info", {"event": "x", "webhook_url": "https://example.com/hook/abc",
                                     "token": "https://auth.example.com/t/123"})

    assert redacted["webhook_url"] == "***"
    assert redacted["token"] == "***"


def test_every_drctl_webhook_variable_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRCTL_WEBHOOK_URL_OPS", "https://ops.example.com/hook/s3cr3t")

    redacted = redact(None, "info", {"event": "sent to https://ops.example.com/hook/s3cr3t"})

    assert redacted["event"] == "sent to ***"


@pytest.fixture
def structlog_reset() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.mark.usefixtures("structlog_reset")
def test_the_configured_logger_never_writes_the_webhook_url(
    webhook: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for json_lines in (True, False):  # --log-json, and lines for people
        configure_logging(verbose=1, json_lines=json_lines)

        structlog.get_logger("drctl.failover").warning(
            "notify_channel_failed", channel="webhook", error=f"POST {webhook}: 500"
        )

        line = capsys.readouterr().err.strip()
        assert webhook not in line
        if json_lines:
            assert json.loads(line)["error"] == "POST ***: 500"
        else:
            assert "error='POST ***: 500'" in line or "error=POST ***: 500" in line, line
