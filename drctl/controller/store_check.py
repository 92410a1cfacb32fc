"""A controller never creates its DynamoDB store table.

Every other command creates the table it is given, for a team's first use. A controller must
not: started in a second region with the same `--state` before the table is replicated there
(a global table), it would create a table of its own, win the leader lease on it, and run
every schedule and open every failover beside the controllers on the first region's table --
two leaders, each fire run twice, with nothing in either log saying so.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from drctl.aws.clients import ClientFactory
from drctl.aws.errors import aws_call
from drctl.core.errors import DrctlError, InvalidInput, ResourceMissing
from drctl.store.open import parse_dynamodb_url


def require_store_table(url: str, factory: ClientFactory, regions: Iterable[str],
                        rerun: list[str]) -> None:
    """InvalidInput (exit 2) when `url` names a DynamoDB table that does not exist. The hint
    is the same controller on the table in another of the playbooks' `regions`, when one
    exists; else the command that creates the table in that region alone. `rerun`: this
    controller's own arguments (after `controller`)."""
    if not url.startswith("dynamodb://"):
        return
    table, region = parse_dynamodb_url(url)
    if _exists(factory, table, region):
        return
    found = [r for r in sorted(set(regions) - {region}) if _found_in(factory, table, r)]
    missing = f"--state {url}: table {table} does not exist in {region}"
    if found:
        other = f"dynamodb://{table}?region={found[0]}"
        hint = f"drctl --state {shlex.quote(other)} controller {shlex.join(rerun)}".rstrip()
        raise InvalidInput(
            f"{missing} but in {found[0]}: a controller does not create its store, as one on a "
            f"table of its own would lead beside those on {found[0]}'s (two leaders). Replicate "
            f"the table to {region} (a DynamoDB global table) to run a controller there, or "
            "use it where it is", hint=hint)
    raise InvalidInput(
        f"{missing}: a controller does not create its store (in a second region, one on a "
        "table of its own would lead beside the others). Create it first: any other drctl "
        f"command on it does, in {region} alone; for controllers in several regions, make it "
        "a global table", hint=f"drctl --state {shlex.quote(url)} runs list")


def _found_in(factory: ClientFactory, table: str, region: str) -> bool:
    """Whether the table is seen in another region (one that cannot be read: not found)."""
    try:
        return _exists(factory, table, region)
    except DrctlError:
        return False


def _exists(factory: ClientFactory, table: str, region: str) -> bool:
    try:
        with aws_call(f"describe table {table} in {region}"):
            factory.client("dynamodb", region).describe_table(TableName=table)
    except ResourceMissing:
        return False
    return True
