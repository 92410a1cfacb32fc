"""What the fake `Aws` (drctl/aws/fake.py) does with a call it does not model: refuse it."""

from __future__ import annotations

from typing import Any

from drctl.aws.clients import ClientFactory


class NotFaked(NotImplementedError):
    """The fake does not model this call: extend drctl/aws/fake.py, or use the sandbox. Not an
    AwsError on purpose: code that tolerates AWS errors (an unreadable failed region) must not
    take a gap in the fake for one -- it crashes the step, loudly."""


class NoFactory(ClientFactory):
    """The fake's client factory: builds nothing (no boto3 session); a client asked of it
    (a DynamoDB store, runbooks' generic API) is refused by name."""

    def __init__(self) -> None:  # no boto3 session
        pass

    def client(self, service: str, region: str) -> Any:
        raise NotFaked(f"FakeAws builds no boto3 clients (asked for {service} in {region})")


class NoClient:
    """What a fake adapter holds as its boto3 client: every call is refused, by name."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        raise NotFaked(f"FakeAws does not fake {self._service}.{name}")
