"""`drctl validate` against the live estate: does every resource the playbook names exist?

In the failover package (not the playbook's): it reads the estate with the failover's own DNS
and replication checks, and the playbook package must not import the failover package.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from itertools import permutations

from drctl.aws.dynamodb_restore import DynamoDbRestore
from drctl.aws.ecs import ServicesMissing
from drctl.aws.estate import Aws
from drctl.aws.s3 import S3
from drctl.core.errors import DrctlError, InvalidInput
from drctl.drill.s3_protection import s3_protection_problem
from drctl.failover.dns import active_regions, read_records
from drctl.failover.live_heartbeat import Findings, heartbeat_problems
from drctl.failover.replication import replica_status, reprotect_hint
from drctl.failover.s3_preflight import replication_problems
from drctl.playbook.problems import Loc, Problem
from drctl.playbook.schema import Playbook, S3Source


def check_live(playbook: Playbook, aws: Aws, now: datetime) -> Findings:
    """Every missing or unreadable resource, each tied to the playbook entry that names it
    (the service, record or key concerned, not only its section); apart, what a region in
    outage kept from being checked."""
    checks: list[tuple[Loc, Callable[[], object]]] = [
        (("dns", "zone"), partial(aws.route53().zone_id, playbook.dns.zone))]
    for region in playbook.regions:
        checks += _regional_checks(playbook, aws, region)
    checks += _drill_checks(playbook, aws)
    checks += _s3_checks(playbook, aws)
    checks.append((("scale", "rds_promote"), partial(_standby_databases, playbook, aws)))
    problems = []
    for loc, check in checks:
        try:
            check()
        except DrctlError as exc:
            problems.append(Problem(loc, str(exc)))
    if problems and problems[0].loc == ("dns", "zone"):
        return Findings(problems)  # no zone: nothing says which region takes the traffic
    problems += [p for region in playbook.regions for p in _ecs_problems(playbook, aws, region)]
    active, dns_problems = _active_region(playbook, aws)
    beats = heartbeat_problems(playbook, aws, active, now, regions_down(playbook, aws))
    return Findings(problems + dns_problems + beats.problems, beats.not_checked)


def regions_down(playbook: Playbook, aws: Aws) -> dict[str, str]:
    """The regions in outage (a detection alarm fires), each with the alarms that say so. An
    alarm that cannot be read is a problem of its own (`detection.alarms`), not an outage."""
    down = {}
    for region in playbook.regions:
        try:
            alarms = aws.cloudwatch(region).alarms(playbook.alarms_for(region))
        except DrctlError:
            continue
        firing = [a.name for a in alarms if a.state == "ALARM"]
        if firing:
            down[region] = f"{', '.join(firing)} in ALARM"
    return down


def _active_region(playbook: Playbook, aws: Aws) -> tuple[str | None, list[Problem]]:
    """The one region the first record sends traffic to (None when split or unreadable), and
    each record that is missing, at its own `name:` line."""
    regions = list(playbook.regions)
    problems = []
    for i, record in enumerate(playbook.dns.records):
        only = playbook.dns.model_copy(update={"records": [record]})
        try:
            read_records(aws.route53(), only, regions)
        except DrctlError as exc:
            problems.append(Problem(("dns", "records", i, "name"), str(exc)))
    if problems:
        return None, problems
    _, found = read_records(aws.route53(), playbook.dns, regions)
    first = playbook.dns.records[0]
    active = active_regions(first, found[first.name])
    return (active[0] if len(active) == 1 else None), []


def _ecs_problems(playbook: Playbook, aws: Aws, region: str) -> list[Problem]:
    """Each missing ECS service at its own line; a missing cluster at `cluster:`."""
    ecs, problems = aws.ecs(region), []
    for i, cfg in enumerate(playbook.scale.ecs):
        try:
            ecs.services(cfg.cluster, list(cfg.services))
        except ServicesMissing as exc:
            problems += [Problem(("scale", "ecs", i, "services", name),
                                 f"ECS service {name} not found in cluster {cfg.cluster} "
                                 f"({region})") for name in exc.names]
        except DrctlError as exc:  # the cluster, or it cannot be read
            problems.append(Problem(("scale", "ecs", i, "cluster"), str(exc)))
    return problems


def _regional_checks(
    playbook: Playbook, aws: Aws, region: str
) -> list[tuple[Loc, Callable[[], object]]]:
    checks: list[tuple[Loc, Callable[[], object]]] = []
    for i, name in enumerate(playbook.alarms_for(region)):
        checks.append((("detection", "alarms", i), partial(aws.cloudwatch(region).alarms, [name])))
    for i, asg in enumerate(playbook.scale.autoscaling):
        checks.append((("scale", "autoscaling", i, "group"),
                       partial(aws.autoscaling(region).group, asg.group)))
    promote = playbook.scale.rds_promote
    if promote and region in promote.recreate:
        # Created at failback from its source; the source is what must exist.
        source = promote.recreate[region]
        checks.append((("scale", "rds_promote", "recreate", region),
                       partial(aws.rds(source.source_region).instance, source.source)))
    elif promote and region in promote.replicas:
        checks.append((("scale", "rds_promote", "replicas", region),
                       partial(aws.rds(region).instance, promote.replicas[region])))
    for i, channel in enumerate(playbook.notify):
        if channel.sns:
            checks.append((("notify", i, "sns", "topic"),
                           partial(aws.sns(region).topic_arn, channel.sns.topic)))
    return checks


def _standby_databases(playbook: Playbook, aws: Aws) -> None:
    """Every standby database the next failover would promote replicates from the primary."""
    active, _ = _active_region(playbook, aws)
    if active is None:
        return  # traffic split (or DNS unreadable, reported on its own): nothing to judge by
    stale = []
    for region in playbook.regions:
        status = replica_status(playbook, aws, region, active) if region != active else None
        if status is not None and not status.ok:
            stale.append(f"{status.detail}; {reprotect_hint(region, active)}")
    if stale:
        raise InvalidInput("; ".join(stale))


def _drill_checks(playbook: Playbook, aws: Aws) -> list[tuple[Loc, Callable[[], object]]]:
    """Each drill target exists where the playbook says; a PITR target has PITR on."""
    checks: list[tuple[Loc, Callable[[], object]]] = []
    for i, target in enumerate(playbook.drills.targets if playbook.drills else []):
        loc: Loc = ("drills", "targets", i, "target")
        if target.service == "dynamodb":
            tables = aws.dynamodb_restore(target.region)
            checks.append((loc, partial(tables.table, target.resource)))
            if "pitr" in target.kinds:
                checks.append((("drills", "targets", i, "kinds"),
                               partial(_pitr_on, tables, target.resource, target.region)))
        elif target.service == "rds":
            checks.append((loc, partial(aws.rds_restore(target.region).profile,
                                        target.resource)))
    return checks


def _s3_checks(playbook: Playbook, aws: Aws) -> list[tuple[Loc, Callable[[], object]]]:
    """Each S3 recovery point replicates between every pair of regions; each s3: drill
    target's bucket is versioned, and replicated when it has a replica drill."""
    checks: list[tuple[Loc, Callable[[], object]]] = []
    for store, sources in playbook.rpo.items():
        for i, src in enumerate(sources):
            if src.s3 is None:
                continue
            for origin, destination in permutations(playbook.regions, 2):
                checks.append((("rpo", store, i, "s3"), partial(
                    _replicates, src.s3, aws, origin, destination)))
    for i, drill in enumerate(playbook.drills.targets if playbook.drills else []):
        if drill.service == "s3":
            checks.append((("drills", "targets", i, "kinds"), partial(
                _protected, aws.s3(drill.region), drill.resource, "replica" in drill.kinds)))
    return checks


def _replicates(src: S3Source, aws: Aws, source: str, target: str) -> None:
    problems = replication_problems(src, aws, source, target)
    if problems:
        raise InvalidInput("; ".join(problems))


def _protected(s3: S3, bucket: str, replicated: bool) -> None:
    problem = s3_protection_problem(s3, bucket, "", replicated)
    if problem:
        raise InvalidInput(problem)


def _pitr_on(tables: DynamoDbRestore, table: str, region: str) -> None:
    if not tables.pitr_window(table).enabled:
        raise InvalidInput(f"point-in-time recovery is off for {table} ({region}): "
                           "a pitr drill cannot run")
