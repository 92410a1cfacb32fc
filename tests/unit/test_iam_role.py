"""The S3 replication role: who its trust policy lets assume it, as IAM answers GetRole."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from drctl.aws.iam import Iam


class Roles:
    def __init__(self, roles: dict[str, Any]) -> None:
        self.roles = roles

    def get_role(self, RoleName: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if RoleName not in self.roles:
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "no role"}},
                              "GetRole")
        return {"Role": {"RoleName": RoleName, "AssumeRolePolicyDocument": self.roles[RoleName]}}


def trust(service: str | list[str], effect: str = "Allow", action: Any = "sts:AssumeRole"
          ) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": {"Service": service}, "Action": action}]}


@pytest.mark.parametrize(("document", "trusted"), [
    (trust("s3.amazonaws.com"), {"s3.amazonaws.com"}),
    (trust(["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]),
     {"s3.amazonaws.com", "batchoperations.s3.amazonaws.com"}),
    (quote(json.dumps(trust("s3.amazonaws.com"))), {"s3.amazonaws.com"}),  # URL-encoded
    (trust("s3.amazonaws.com", effect="Deny"), set()),
    (trust("s3.amazonaws.com", action=["s3:GetObject"]), set()),
    (trust("ec2.amazonaws.com"), {"ec2.amazonaws.com"}),
])
def test_the_services_a_role_trusts(document: Any, trusted: set[str]) -> None:
    role = Iam(Roles({"replication": document})).role(
        "arn:aws:iam::123456789012:role/replication")
    assert role is not None and role.trusted_services == trusted


def test_a_role_that_is_gone_is_none() -> None:
    assert Iam(Roles({})).role("arn:aws:iam::123456789012:role/gone") is None
