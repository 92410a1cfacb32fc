"""The clients the controller's alarm watch polls with (drctl/aws/clients.py): two attempts,
not nine adaptive ones -- a dark region's API must not hold a poll (the detection latency)."""

from __future__ import annotations

import pytest

from drctl.aws.clients import ClientFactory, fail_fast_factory


def test_the_watch_clients_try_twice_and_the_others_nine_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    quick = fail_fast_factory().client("cloudwatch", "us-east-1").meta.config
    usual = ClientFactory().client("cloudwatch", "us-east-1").meta.config
    assert quick.retries["total_max_attempts"] == 2
    assert usual.retries["total_max_attempts"] == 9  # botocore: 8 retries after the first
