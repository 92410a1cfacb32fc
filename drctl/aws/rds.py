"""RDS: read instances and promote read replicas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call


@dataclass(frozen=True)
class DbInstance:
    identifier: str
    status: str
    engine: str
    replica_source: str | None
    replicas: tuple[str, ...]
    arn: str = ""

    @property
    def is_replica(self) -> bool:
        return self.replica_source is not None


class Rds:
    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self.region = region

    def instance(self, identifier: str) -> DbInstance:
        """The instance. Raises ResourceMissing when it does not exist."""
        with aws_call(f"describe DB instance {identifier}", self.region):
            db = self._client.describe_db_instances(DBInstanceIdentifier=identifier)[
                "DBInstances"][0]
        return DbInstance(
            identifier=db["DBInstanceIdentifier"],
            status=db["DBInstanceStatus"],
            engine=db.get("Engine", ""),
            replica_source=db.get("ReadReplicaSourceDBInstanceIdentifier"),
            replicas=tuple(db.get("ReadReplicaDBInstanceIdentifiers", [])),
            arn=db.get("DBInstanceArn", ""),
        )

    def create_read_replica(
        self, identifier: str, source_arn: str, instance_class: str | None = None
    ) -> None:
        """A read replica `identifier` in this region of `source_arn` (any region)."""
        kwargs = {"DBInstanceIdentifier": identifier, "SourceDBInstanceIdentifier": source_arn}
        if instance_class:
            kwargs["DBInstanceClass"] = instance_class
        with aws_call(f"create read replica {identifier} of {source_arn}", self.region):
            self._client.create_db_instance_read_replica(**kwargs)

    def promote(self, identifier: str) -> None:
        with aws_call(f"promote read replica {identifier}", self.region):
            self._client.promote_read_replica(DBInstanceIdentifier=identifier)
