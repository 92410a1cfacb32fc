"""STS: who is calling (the AWS half of a person's identity for approvals)."""

from __future__ import annotations

from typing import Any

from drctl.aws.errors import aws_call


class Sts:
    def __init__(self, client: Any) -> None:
        self._client = client

    def caller_arn(self) -> str:
        with aws_call("get caller identity"):
            return str(self._client.get_caller_identity()["Arn"])
