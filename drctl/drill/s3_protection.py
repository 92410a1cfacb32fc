"""Is a bucket protected the way the playbook counts on? Versioning on (a restore as of a time
needs the old versions), and -- when replication is relied on -- an enabled rule that
replicates every key under the prefix. Shared by the drill pre-flight and `drctl validate`."""

from __future__ import annotations

from drctl.aws.s3 import S3


def s3_protection_problem(s3: S3, bucket: str, prefix: str = "",
                          replicated: bool = False) -> str | None:
    """What is wrong, in one sentence, or None. Raises ResourceMissing for no bucket."""
    status = s3.versioning(bucket)
    if status != "Enabled":
        return (f"versioning is {status.lower() or 'off'} on bucket {bucket}: old versions "
                "are not kept, so nothing can be restored as of a time")
    if not replicated:
        return None
    replication = s3.replication(bucket)
    if replication is None:
        return f"bucket {bucket} has no replication configuration"
    if not any(rule.covers(prefix) for rule in replication.rules):
        covered = ", ".join(f"{r.id} ({'enabled' if r.enabled else 'disabled'}, prefix "
                            f"{r.prefix!r})" for r in replication.rules)
        return (f"no enabled replication rule of bucket {bucket} covers "
                f"{prefix or 'every key'!r}: {covered}")
    return None
