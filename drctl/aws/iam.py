"""IAM: the roles other services act as (S3 replication's role), read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from drctl.aws.errors import absent_as_none


@dataclass(frozen=True)
class RoleState:
    name: str
    trusted_services: frozenset[str]   # services its trust policy lets assume it


class Iam:
    def __init__(self, client: Any) -> None:
        self._client = client

    def role(self, arn_or_name: str) -> RoleState | None:
        """The role (by ARN or name), or None when there is no such role."""
        name = arn_or_name.rsplit("/", 1)[-1]
        found = absent_as_none(f"get role {name}", None,
                               lambda: self._client.get_role(RoleName=name), {"NoSuchEntity"})
        if found is None:
            return None
        return RoleState(name, _trusted_services(found["Role"].get("AssumeRolePolicyDocument")))


def _trusted_services(document: Any) -> frozenset[str]:
    """Services an Allow statement for sts:AssumeRole names (IAM returns the document URL-encoded
    JSON over the wire; boto3 decodes it to a dict)."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    services: set[str] = set()
    for statement in (document or {}).get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") != "Allow" or not {"sts:AssumeRole", "sts:*", "*"} & set(
                actions):
            continue
        named = (statement.get("Principal") or {}).get("Service", [])
        services.update([named] if isinstance(named, str) else named)
    return frozenset(services)
