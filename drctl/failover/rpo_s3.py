"""S3's recovery point: how old is the newest object version that reached the target region?"""

from __future__ import annotations

from datetime import datetime

from drctl.aws.estate import Aws
from drctl.core.clock import iso
from drctl.core.errors import DrctlError
from drctl.core.measurement import RpoReading
from drctl.playbook.schema import S3Source


def s3_rpo(src: S3Source, aws: Aws, failed: str, target: str,
           incident_start: datetime) -> RpoReading:
    """The newest version's LastModified in the failed region's bucket minus the LastModified
    of the newest version that reached the target region's bucket (a replica keeps its
    source's LastModified). S3 gives it to the second.

    When the failed region's bucket cannot be read, the incident start stands in for its
    newest write, as for the heartbeat. Raises DrctlError when the target holds no replica.
    """
    key = src.key.replace("{failed_region}", failed)
    target_bucket = src.bucket_in(target)
    replica = aws.s3(target).head(target_bucket, key)
    if replica is None:
        raise DrctlError(f"s3://{target_bucket}/{key} not found ({target}): nothing of it "
                         "was replicated")
    failed_bucket = src.bucket_in(failed)
    try:
        origin = aws.s3(failed).head(failed_bucket, key)
    except DrctlError:
        origin = None
    if origin is not None:
        newest, reference = origin.last_modified, f"newest version in s3://{failed_bucket}"
    else:
        newest, reference = incident_start, "incident start (failed region's bucket unreadable)"
    return RpoReading(
        seconds=round(max(0.0, (newest - replica.last_modified).total_seconds()), 3),
        source=f"s3:{failed_bucket}",
        newest_replicated_at=iso(replica.last_modified), newest_write_at=iso(newest),
        reference=reference,
    )
