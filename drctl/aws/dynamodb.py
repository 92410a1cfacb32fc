"""DynamoDB: single items (heartbeats for RPO; the controller's RPO canary writes them)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from drctl.aws.errors import aws_call

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer


@cache
def _codec() -> tuple[TypeSerializer, TypeDeserializer]:
    """boto3's item codec, imported on first use (importing this module stays boto3-free)."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


class DynamoDb:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """The item as plain Python values (numbers as Decimal), or None. Strongly consistent."""
        with aws_call(f"get item from {table}", self.region):
            response = self._client.get_item(
                TableName=table, Key={k: _codec()[0].serialize(v) for k, v in key.items()},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return {k: _codec()[1].deserialize(v) for k, v in item.items()} if item else None

    def put_item(self, table: str, item: dict[str, Any]) -> None:
        """Write (overwrite) one item given as plain Python values (numbers as Decimal)."""
        with aws_call(f"put item into {table}", self.region):
            self._client.put_item(TableName=table,
                                  Item={k: _codec()[0].serialize(v) for k, v in item.items()})
