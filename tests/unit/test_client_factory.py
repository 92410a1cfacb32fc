"""The client factory builds its boto3 session with the first client, and says what a bad
--profile is (exit 2), not a traceback."""

from __future__ import annotations

import pytest

from drctl.aws.clients import ClientFactory
from drctl.core.errors import InvalidInput


def test_an_unknown_profile_is_invalid_input_at_the_first_client(tmp_path, monkeypatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile known]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    factory = ClientFactory(profile="nosuch")  # builds nothing yet
    with pytest.raises(InvalidInput) as caught:
        factory.client("sts", "us-east-1")
    assert caught.value.exit_code == 2
    assert "--profile nosuch" in caught.value.message
    assert ClientFactory(profile="known").client("sts", "us-east-1") is not None


def test_clients_are_cached_per_service_and_region() -> None:
    factory = ClientFactory()
    assert factory.client("sts", "us-east-1") is factory.client("sts", "us-east-1")
    assert factory.client("sts", "us-east-1") is not factory.client("sts", "us-west-2")
