"""RDS: read instances and promote read replicas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.errors import ResourceMissing


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

    @property
    def source_region(self) -> str | None:
        """The region of the instance this one replicates from (None for a standalone); a
        cross-region source is named by ARN, a same-region one by identifier."""
        if self.replica_source is None:
            return None
        return arn_region(self.replica_source) or self.region

    @property
    def source_identifier(self) -> str | None:
        if self.replica_source is None:
            return None
        return self.replica_source.rsplit(":", 1)[-1]

    @property
    def region(self) -> str:
        return arn_region(self.arn) or ""


def arn_region(text: str) -> str | None:
    """`us-east-1` of `arn:aws:rds:us-east-1:123:db:name`; None for a plain identifier."""
    parts = text.split(":")
    return parts[3] if len(parts) >= 7 and parts[0] == "arn" else None


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

    def rename(self, identifier: str, new_identifier: str) -> None:
        """Rename at once (ApplyImmediately): the instance and its data are kept."""
        with aws_call(f"rename DB instance {identifier} to {new_identifier}", self.region):
            self._client.modify_db_instance(DBInstanceIdentifier=identifier,
                                            NewDBInstanceIdentifier=new_identifier,
                                            ApplyImmediately=True)

    def exists(self, identifier: str) -> bool:
        try:
            self.instance(identifier)
        except ResourceMissing:
            return False
        return True

    def promote(self, identifier: str) -> None:
        with aws_call(f"promote read replica {identifier}", self.region):
            self._client.promote_read_replica(DBInstanceIdentifier=identifier)
