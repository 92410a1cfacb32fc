"""RPO: how old is the newest data that reached the target region? Sources, best first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from drctl.aws.estate import Aws
from drctl.core.clock import iso
from drctl.core.errors import DrctlError
from drctl.core.measurement import RpoReading
from drctl.failover.rpo_s3 import s3_rpo
from drctl.playbook.schema import HeartbeatSource, MetricSource, RpoSource


def read_rpo(
    sources: list[RpoSource], aws: Aws, failed: str, target: str, incident_start: datetime,
    now: datetime, replica: str | None = None,
) -> tuple[RpoReading | None, list[str]]:
    """The first source that gives a figure, and notes on the sources that did not.
    `replica` fills `{replica}` in metric dimensions: the database promoted in `target`."""
    notes: list[str] = []
    for source in sources:
        try:
            if source.heartbeat:
                reading = heartbeat_rpo(source.heartbeat, aws, failed, target, incident_start)
            elif source.s3:
                reading = s3_rpo(source.s3, aws, failed, target, incident_start)
            else:
                assert source.cloudwatch is not None
                reading = metric_rpo(_with_replica(source.cloudwatch, replica), aws, failed,
                                     target, incident_start, now)
        except DrctlError as exc:
            notes.append(str(exc))
            continue
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            # A malformed datum must not cost the failover its recovery record.
            notes.append(f"unreadable {_kind(source)}: {exc}")
            continue
        if reading is not None:
            return reading, notes
    return None, notes


def heartbeat_rpo(
    src: HeartbeatSource, aws: Aws, failed: str, target: str, incident_start: datetime
) -> RpoReading | None:
    """Newest write in the failed region minus the newest copy in the target region.

    When the failed region cannot be read, the incident start stands in for its newest write
    (data written after the incident began was not going to be replicated anyway).
    """
    key = {k: v.replace("{failed_region}", failed) for k, v in src.key.items()}
    replicated = aws.dynamodb(target).get_item(src.table, key)
    if not replicated or src.timestamp_attribute not in replicated:
        raise DrctlError(f"heartbeat {key} not found in {src.table} ({target})")
    replicated_at = when(replicated[src.timestamp_attribute])
    try:
        origin = aws.dynamodb(failed).get_item(src.table, key) or {}
        newest, reference = when(origin[src.timestamp_attribute]), f"heartbeat in {failed}"
    except (DrctlError, KeyError, TypeError):
        newest, reference = incident_start, "incident start (failed region unreadable)"
    return RpoReading(
        seconds=round(max(0.0, (newest - replicated_at).total_seconds()), 3),
        source=f"heartbeat:{src.table}",
        newest_replicated_at=iso(replicated_at), newest_write_at=iso(newest), reference=reference,
    )


# A lag datapoint older than this before the incident says nothing about the incident.
METRIC_MAX_AGE = timedelta(minutes=5)


def metric_rpo(src: MetricSource, aws: Aws, failed: str, target: str,
               incident_start: datetime, now: datetime) -> RpoReading | None:
    """The newest replication-lag datapoint, if it is recent enough to speak for the incident
    and is a lag at all (RDS reports -1 when replication is not active)."""
    name = f"{src.namespace}/{src.metric}"
    region = failed if src.region == "failed" else target
    dimensions = {k: v.replace("{failed_region}", failed).replace("{target_region}", target)
                  for k, v in src.dimensions.items()}
    point = aws.cloudwatch(region).latest_datapoint(src.namespace, src.metric, dimensions, now)
    if point is None:
        raise DrctlError(f"no recent {name} datapoints in {region}")
    value, at = point
    if value < 0:
        raise DrctlError(f"{name} is {value:g} in {target}: replication was not active")
    if at < incident_start - METRIC_MAX_AGE:
        raise DrctlError(f"newest {name} datapoint ({iso(at)}) is older than the incident")
    seconds = value / 1000.0 if src.unit == "milliseconds" else value
    return RpoReading(round(seconds, 3), f"cloudwatch:{name}",
                      reference=f"datapoint at {iso(at)}")


def _with_replica(src: MetricSource, replica: str | None) -> MetricSource:
    """`{replica}` names whichever database is the replica in the target region now: after a
    failback or a reprotect it is not the one the playbook was first written for."""
    if not any("{replica}" in v for v in src.dimensions.values()):
        return src
    if replica is None:
        raise DrctlError(f"{src.namespace}/{src.metric}: the playbook promotes no database in "
                         "the target region, so {replica} names nothing")
    dims = {k: v.replace("{replica}", replica) for k, v in src.dimensions.items()}
    return src.model_copy(update={"dimensions": dims})


def _kind(source: RpoSource) -> str:
    return "heartbeat" if source.heartbeat else "object" if source.s3 else "metric"


def when(value: object) -> datetime:
    """A timestamp attribute: epoch seconds or milliseconds (number), or ISO 8601 text."""
    if isinstance(value, int | float | Decimal):
        number = float(value)
        # Epoch milliseconds are above 1e11 from 1973 on; seconds stay below it until 5138.
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise TypeError(f"not a timestamp: {value!r}")
