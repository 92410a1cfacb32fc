"""What the fake `Aws` (drctl/aws/fake.py) does with a call it does not model: refuse it."""

from __future__ import annotations

from typing import Any


class NotFaked(NotImplementedError):
    """The fake does not model this call: extend drctl/aws/fake.py, or use the sandbox. Not an
    AwsError on purpose: code that tolerates AWS errors (an unreadable failed region) must not
    take a gap in the fake for one -- it crashes the step, loudly."""


class NoClient:
    """What a fake adapter holds as its boto3 client: every call is refused, by name."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        raise NotFaked(f"FakeAws does not fake {self._service}.{name}")
