"""Pre-flight for the S3 data stores the playbook's `rpo:` names: is the bucket being left
replicating what the playbook measures into the target's bucket, with versioning on at both
ends (S3 replication requires it)? Shared with `drctl validate` (`replication_problems`)."""

from __future__ import annotations

from drctl.aws.estate import Aws
from drctl.core.errors import DrctlError
from drctl.drill.s3_protection import s3_protection_problem
from drctl.failover.dependencies import Findings
from drctl.playbook.schema import Playbook, S3Source


def replication_problems(src: S3Source, aws: Aws, source: str, target: str) -> list[str]:
    """Why `src`'s object would not reach `target`'s bucket from `source`'s; [] when it would.
    Raises DrctlError when a bucket cannot be read."""
    key = src.key.replace("{failed_region}", source)
    origin, destination = src.bucket_in(source), src.bucket_in(target)
    problems = [p for p in (s3_protection_problem(aws.s3(target), destination),
                            s3_protection_problem(aws.s3(source), origin)) if p]
    replication = aws.s3(source).replication(origin)
    if replication is None or replication.rule_for(key, destination) is None:
        problems.append(f"no enabled replication rule of bucket {origin} ({source}) "
                        f"replicates {key} to {destination}")
    else:
        problems += role_problems(aws, origin, replication.role)
    return problems


def role_problems(aws: Aws, bucket: str, role_arn: str) -> list[str]:
    """S3 replicates as the configuration's role: a role that is gone, or that S3 may not
    assume, leaves a rule that looks enabled and copies nothing."""
    role = aws.iam().role(role_arn) if role_arn else None
    if role is None:
        return [f"the replication role {role_arn or '(none)'} of bucket {bucket} does not exist: "
                "S3 replicates nothing without it"]
    if "s3.amazonaws.com" not in role.trusted_services:
        return [f"the replication role {role.name} of bucket {bucket} does not trust "
                "s3.amazonaws.com to assume it: S3 cannot replicate as it"]
    return []


def check_s3_replication(playbook: Playbook, aws: Aws, source: str, target: str) -> Findings:
    found = Findings()
    for src in (s.s3 for s in playbook.rpo_sources if s.s3):
        found.checked += 1
        try:
            found.problems += replication_problems(src, aws, source, target)
        except DrctlError as exc:
            if aws_readable(aws, target, src.bucket_in(target)):
                found.notes.append(f"{src.bucket_in(source)} ({source}) unreadable, its "
                                   f"replication not checked: {exc}")
            else:
                found.problems.append(str(exc))
    return found


def aws_readable(aws: Aws, region: str, bucket: str) -> bool:
    try:
        aws.s3(region).versioning(bucket)
    except DrctlError:
        return False
    return True
