"""The failover playbook: a pydantic model, unknown keys rejected (extra=forbid).

Durations are strings like `15m`; `{region}`, `{failed_region}`, `{target_region}` and
`{endpoint}` are filled in per run; `${VAR}` / `${VAR:-default}` come from the environment at
load time (so secrets such as webhook URLs never live in the playbook).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from drctl.playbook.fields import Duration, PositiveDuration, http_url
from drctl.playbook.schedules import (
    ControllerSettings,
    FailoverCriteria,
    Schedule,
    unique_names,
)

# What `{name}` may say in a playbook's strings; anything else is a typo that would reach AWS
# verbatim (an alarm literally named `api-5xx-{regoin}`).
PLACEHOLDERS = frozenset({"region", "failed_region", "target_region", "endpoint", "replica",
                          "address", "port", "instance"})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(Model):
    rto: PositiveDuration = 3600.0
    rpo: PositiveDuration = 900.0


class Region(Model):
    role: Literal["primary", "secondary"]
    endpoint: str = Field(description="base URL of the region's app, for smoke tests")

    @field_validator("endpoint")
    @classmethod
    def _a_url(cls, endpoint: str) -> str:
        return http_url(endpoint, "endpoint")


class Detection(Model):
    alarms: list[str] = Field(min_length=1, description="alarm names; {region} = failed region")
    topic: str | None = Field(None, description="SNS topic (name or ARN, primary region) in "
                              "the alarms' AlarmActions: the controller listens to it")
    failover: FailoverCriteria = Field(
        default_factory=lambda: FailoverCriteria.model_validate({}))


class Confirmation(Model):
    mode: Literal["prompt", "approval", "none"] = "prompt"
    timeout: PositiveDuration = 900.0
    allow_self_approval: bool = False


class DnsRecord(Model):
    name: str
    type: Literal["A", "AAAA", "CNAME"] = "CNAME"
    routing: Literal["weighted", "failover"] = "weighted"
    set_identifiers: dict[str, str] = Field(
        default_factory=dict, description="region -> set identifier (default: the region name)"
    )

    def set_identifier(self, region: str) -> str:
        return self.set_identifiers.get(region, region)


class Dns(Model):
    zone: str
    records: list[DnsRecord] = Field(min_length=1)
    weight: int = Field(100, ge=1, le=255, description="weight given to the active region")
    timeout: PositiveDuration = 300.0


class EcsScale(Model):
    cluster: str
    services: dict[str, Annotated[int, Field(ge=0)]] = Field(
        min_length=1, description="service -> production desired count (scale to at least this)"
    )


class AsgScale(Model):
    group: str
    desired: int = Field(ge=0)


class RdsRecreate(Model):
    """How to give a region a fresh read replica before promoting it (failback: the old primary
    there is stale, so a replica of the current primary is created first)."""

    source_region: str
    source: str = Field(description="the instance in source_region to replicate from")
    instance_class: str | None = None


class RdsPromote(Model):
    replicas: dict[str, str] = Field(
        min_length=1, description="region -> the read replica in that region to promote"
    )
    recreate: dict[str, RdsRecreate] = Field(
        default_factory=dict,
        description="region -> create its replica from this source when it does not exist",
    )
    reprotect: bool = Field(
        False, description="after every successful failover/failback, run `drctl reprotect` "
        "for the region left (best effort: a region still down is reported, not fatal)")


class Scale(Model):
    timeout: PositiveDuration = 900.0
    ecs: list[EcsScale] = Field(default_factory=list)
    autoscaling: list[AsgScale] = Field(default_factory=list)
    rds_promote: RdsPromote | None = None


class SmokeCheck(Model):
    name: str
    url: str = Field(description="may use {endpoint}, the target region's endpoint")
    expect_status: int = Field(200, ge=100, le=599)
    contains: str | None = None

    @field_validator("url")
    @classmethod
    def _a_url(cls, url: str) -> str:
        http_url(url.replace("{endpoint}", "http://endpoint"), "url")
        return url


class SmokeTests(Model):
    timeout: PositiveDuration = 300.0
    interval: PositiveDuration = 2.0
    checks: list[SmokeCheck] = Field(min_length=1)


class HeartbeatSource(Model):
    table: str
    key: dict[str, str] = Field(description="item key; {failed_region} is filled in")
    timestamp_attribute: str = "written_at"


class MetricSource(Model):
    namespace: str
    metric: str
    dimensions: dict[str, str] = Field(
        default_factory=dict, description="{failed_region} and {target_region} are filled in")
    unit: Literal["seconds", "milliseconds"] = "seconds"
    region: Literal["target", "failed"] = Field(
        "target", description="where the metric is published: RDS ReplicaLag in the replica's "
        "(target) region, S3 ReplicationLatency in the source bucket's (failed) region")


class S3Source(Model):
    """The newest version of an object the app keeps writing (a canary), in the failed region's
    bucket and as replicated to the target region's."""

    bucket: str = Field(description="the bucket in each region; {region} is filled in")
    key: str = Field(description="the object; {failed_region} is filled in")

    def bucket_in(self, region: str) -> str:
        return self.bucket.replace("{region}", region)


class RpoSource(Model):
    heartbeat: HeartbeatSource | None = None
    cloudwatch: MetricSource | None = None
    s3: S3Source | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RpoSource:
        if sum(s is not None for s in (self.heartbeat, self.cloudwatch, self.s3)) != 1:
            raise ValueError("give exactly one of heartbeat, cloudwatch or s3")
        return self


def _grouped(value: object) -> object:
    """`rpo:` maps each data store to its sources; a plain list of sources is one store."""
    return {"data": value} if isinstance(value, list) else value


RpoStores = Annotated[dict[str, Annotated[list[RpoSource], Field(min_length=1)]],
                      BeforeValidator(_grouped)]


class ServiceImages(Model):
    cluster: str
    services: list[str] = Field(min_length=1, description="ECS services whose task "
                                "definitions' images must be in the target region's ECR")


class Dependencies(Model):
    """What the application needs in the region it fails over to, checked before a failover."""

    secrets: list[str] = Field(default_factory=list, description="Secrets Manager names")
    parameters: list[str] = Field(default_factory=list, description="SSM parameter names")
    images: list[ServiceImages] = Field(default_factory=list)


class SnsChannel(Model):
    topic: str = Field(description="topic name (in the target region) or ARN")


class WebhookChannel(Model):
    url_env: str = Field(description="environment variable holding the URL (a secret)")
    required: bool = False


class Channel(Model):
    sns: SnsChannel | None = None
    webhook: WebhookChannel | None = None
    console: dict[str, str] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Channel:
        given = [c for c in (self.sns, self.webhook, self.console) if c is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of sns, webhook or console")
        return self


class ValidationHook(Model):
    """How a drill checks the data of a restored database: a command or an HTTP check.

    The command runs with DRCTL_DRILL_DB_ADDRESS, DRCTL_DRILL_DB_PORT, DRCTL_DRILL_DB_INSTANCE,
    DRCTL_DRILL_REGION in its environment; exit 0 passes. The URL may use {address}, {port},
    {instance}. Either may time out (`timeout`)."""

    command: list[str] | None = Field(None, min_length=1)
    http: str | None = None
    expect_status: int = 200
    timeout: PositiveDuration = 120.0

    @model_validator(mode="after")
    def _exactly_one(self) -> ValidationHook:
        if (self.command is None) == (self.http is None):
            raise ValueError("give exactly one of command or http")
        return self


class DrillValidation(Model):
    timestamp_attribute: str | None = Field(
        None, description="DynamoDB: attribute holding each item's last-write time "
        "(epoch seconds, or ISO 8601)")
    sample_keys: list[dict[str, str | int]] = Field(
        default_factory=list, description="DynamoDB: keys that must be in the restored table")
    hook: ValidationHook | None = Field(None, description="RDS: how to check the restored data")
    replica_lag: Duration | None = Field(
        None, description="S3 replica drills: objects older than this must be in the replica "
        "(default: the RPO target)")
    commit_latency: Duration = Field(
        5.0, ge=0, description="DynamoDB: the longest a write may take from reading the clock "
        "for its stamp to being committed; items stamped within this (plus the stamp's "
        "resolution) of the restore point are not judged")


DrillKind = Literal["pitr", "snapshot", "cross-region", "versions", "replica"]
S3_KINDS = ("versions", "replica")


def _pitr_only() -> list[DrillKind]:
    return ["pitr"]


class DrillTarget(Model):
    target: str = Field(pattern=r"^(dynamodb|rds):[A-Za-z0-9_.-]+$|^s3:[a-z0-9][a-z0-9.-]+$",
                        description="dynamodb:TABLE, rds:DB_INSTANCE or s3:BUCKET")
    region: str
    kinds: list[DrillKind] = Field(default_factory=_pitr_only, min_length=1)
    copy_to: str | None = Field(None, description="cross-region: region to copy the snapshot to")
    kms_key_id: str | None = Field(None, description="cross-region: KMS key in copy_to for "
                                   "an encrypted snapshot")
    instance_class: str | None = Field(None, description="RDS: class of the drill instance")
    validation: DrillValidation = Field(
        default_factory=lambda: DrillValidation.model_validate({}))
    keep: Duration = Field(0.0, description="how long the restored copy is kept after "
                           "validation before it is deleted")
    targets: Targets | None = Field(None, description="RTO/RPO for this target "
                                    "(default: the playbook's)")
    timeout: PositiveDuration = Field(3600.0, description="longest wait for a restore to be "
                                      "available")

    @model_validator(mode="after")
    def _consistent(self) -> DrillTarget:
        if "cross-region" in self.kinds and not self.copy_to:
            raise ValueError("a cross-region drill needs copy_to (the region to copy to)")
        if self.service == "dynamodb" and "cross-region" in self.kinds:
            raise ValueError("cross-region drills are for RDS snapshots")
        if (self.service == "s3") != all(kind in S3_KINDS for kind in self.kinds):
            raise ValueError("an s3: target's kinds are versions and replica, and only s3: "
                             "targets have them")
        return self

    @property
    def service(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def resource(self) -> str:
        return self.target.split(":", 1)[1]


class Drills(Model):
    targets: list[DrillTarget] = Field(min_length=1)


# A DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) and the region it lives in.
SHARED_STATE = r"^dynamodb://[A-Za-z0-9_.-]{3,255}\?region=[a-z]{2}(-[a-z]+)+-\d$"


class Metrics(Model):
    cloudwatch: bool = Field(True, description="publish RTOSeconds, RPOSeconds and Succeeded "
                             "(namespace drctl; dimensions Playbook, Kind) when a run ends")


class Playbook(Model):
    version: Literal[1] = 1
    name: str
    description: str = ""
    targets: Targets = Targets()
    regions: dict[str, Region] = Field(min_length=2)
    detection: Detection
    confirmation: Confirmation = Confirmation()
    dns: Dns
    scale: Scale = Scale()
    smoke_tests: SmokeTests
    rpo: RpoStores = Field(min_length=1, description="data store -> its recovery point "
                           "sources, best first (a plain list of sources: one store)")
    notify: list[Channel] = Field(default_factory=lambda: [Channel(console={})])
    drills: Drills | None = None
    dependencies: Dependencies = Field(default_factory=lambda: Dependencies())
    schedules: list[Schedule] = Field(default_factory=list)
    controller: ControllerSettings = Field(
        default_factory=lambda: ControllerSettings.model_validate({}))
    metrics: Metrics = Field(default_factory=lambda: Metrics.model_validate({}))
    state: str | None = Field(
        None,
        description="the store shared by everyone who runs this playbook, "
                    "dynamodb://TABLE?region=R: its runs, locks and approvals (default: the "
                    "local journal, whose lock covers one machine only)")

    @field_validator("schedules")
    @classmethod
    def _schedules(cls, schedules: list[Schedule], info: ValidationInfo) -> list[Schedule]:
        drills = info.data.get("drills")
        for schedule in schedules:
            check_scheduled_drill(drills.targets if drills else [], schedule)
        return unique_names(schedules)

    @field_validator("state")
    @classmethod
    def _shared_state(cls, state: str | None) -> str | None:
        if state is not None and not re.match(SHARED_STATE, state):
            raise ValueError(f"{state!r}: a shared store is dynamodb://TABLE?region=REGION "
                             "(e.g. dynamodb://drctl-team?region=us-west-2)")
        return state

    @field_validator("regions")
    @classmethod
    def _one_primary(cls, regions: dict[str, Region]) -> dict[str, Region]:
        primaries = [name for name, r in regions.items() if r.role == "primary"]
        if len(primaries) != 1:
            raise ValueError(f"exactly one region has role primary (found {len(primaries)})")
        return regions

    @property
    def primary_region(self) -> str:
        return next(name for name, r in self.regions.items() if r.role == "primary")

    @property
    def rpo_sources(self) -> list[RpoSource]:
        """Every store's sources, in order."""
        return [source for sources in self.rpo.values() for source in sources]

    def alarms_for(self, region: str) -> list[str]:
        return [name.replace("{region}", region) for name in self.detection.alarms]


def check_scheduled_drill(targets: list[DrillTarget], schedule: Schedule) -> None:
    """A scheduled drill names a target and kind of the playbook's `drills:`."""
    if schedule.drill is None:
        return
    known = {t.target: t for t in targets}
    target = known.get(schedule.drill.target)
    if target is None:
        names = ", ".join(known) or "none: add a drills: section"
        raise ValueError(f"schedule {schedule.name!r}: unknown drill target "
                         f"{schedule.drill.target!r} (drill targets: {names})")
    if schedule.drill.kind is not None and schedule.drill.kind not in target.kinds:
        raise ValueError(f"schedule {schedule.name!r}: {target.target} declares no "
                         f"{schedule.drill.kind} drill (it declares: {', '.join(target.kinds)})")
