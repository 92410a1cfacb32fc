"""The target region's app dependencies, with in-memory adapters: a stale secret replica, an
image tag resolving to another digest, images outside ECR or from another region's registry,
and an unreadable source region (existence checked, comparison said to be skipped)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.aws.app_config import Secret
from drctl.aws.ecs import TaskImages
from drctl.core.errors import AwsError
from drctl.failover.confirm import _way_out
from drctl.failover.dependencies import check_images, check_parameters, check_secrets
from drctl.failover.preflight import Check
from drctl.playbook.schema import ServiceImages
from tests.unit.helpers import T0

EAST_URI = "123456789012.dkr.ecr.{region}.amazonaws.com/roadtrip-api:stable"


class FakeConfig:
    def __init__(self, secrets: dict[str, Secret] | None = None,
                 digests: dict[str, str] | None = None, down: bool = False,
                 parameters: dict[str, str] | None = None) -> None:
        self.secrets, self.digests, self.down = secrets or {}, digests or {}, down
        self.parameters = parameters or {}

    def secret(self, name: str) -> Secret | None:
        if self.down:
            raise AwsError("region down")
        return self.secrets.get(name)

    def parameter_exists(self, name: str) -> bool:
        return name in self.parameters

    def parameter_type(self, name: str) -> str | None:
        if self.down:
            raise AwsError("region down")
        return self.parameters.get(name)

    def image_digest(self, repository: str, tag: str) -> str | None:
        if self.down:
            raise AwsError("region down")
        return self.digests.get(f"{repository}:{tag}")


class FakeEcs:
    def __init__(self, images: tuple[str, ...]) -> None:
        self.images = images

    def task_images(self, cluster: str, service: str) -> TaskImages:
        return TaskImages(service, "roadtrip-api:7", self.images)


class FakeAws:
    def __init__(self, configs: dict[str, FakeConfig], images: tuple[str, ...] = ()) -> None:
        self.configs, self.images = configs, images

    def app_config(self, region: str) -> FakeConfig:
        return self.configs[region]

    def ecs(self, region: str) -> FakeEcs:
        return FakeEcs(self.images)


def secret(changed_minutes: int) -> Secret:
    return Secret("roadtrip/api", T0 + timedelta(minutes=changed_minutes), None)


def test_a_replica_changed_before_its_source_is_stale() -> None:
    aws: Any = FakeAws({"east": FakeConfig({"roadtrip/api": secret(10)}),
                        "west": FakeConfig({"roadtrip/api": secret(5)})})

    found = check_secrets(["roadtrip/api"], aws, "east", "west")

    assert found.problems == ["secret roadtrip/api in west is stale: last changed "
                              "2026-01-01T12:05:00.000Z, east's 2026-01-01T12:10:00.000Z"]


def test_an_unreadable_source_leaves_existence_checked_and_says_so() -> None:
    aws: Any = FakeAws({"east": FakeConfig(down=True),
                        "west": FakeConfig({"roadtrip/api": secret(5)})})

    found = check_secrets(["roadtrip/api", "roadtrip/other"], aws, "east", "west")

    assert found.problems[0].startswith("secret roadtrip/other is missing in west")
    assert found.notes == ["secret roadtrip/api: exists; east unreadable, so not compared "
                           "with its source"]


def test_missing_parameter_names_the_command_that_copies_it_from_its_source() -> None:
    aws: Any = FakeAws({"east": FakeConfig(parameters={"/roadtrip/flags": "String",
                                                       "/roadtrip/key": "SecureString"}),
                        "west": FakeConfig()})

    found = check_parameters(["/roadtrip/flags", "/roadtrip/key", "/roadtrip/gone"], aws,
                             "east", "west")

    assert found.problems == [
        "parameter /roadtrip/flags is missing in west (copy it from east: aws ssm put-parameter "
        "--region west --name /roadtrip/flags --type String --value \"$(aws ssm get-parameter "
        "--region east --name /roadtrip/flags --query Parameter.Value --output text)\")",
        "parameter /roadtrip/key is missing in west (copy it from east: aws ssm put-parameter "
        "--region west --name /roadtrip/key --type SecureString --value \"$(aws ssm "
        "get-parameter --region east --name /roadtrip/key --with-decryption --query "
        "Parameter.Value --output text)\")",
        "parameter /roadtrip/gone is missing in west (it is not in east either: create it in "
        "both)"]


def test_a_missing_parameter_with_its_source_unreadable_says_so() -> None:
    aws: Any = FakeAws({"east": FakeConfig(down=True), "west": FakeConfig()})

    found = check_parameters(["/roadtrip/flags"], aws, "east", "west")

    assert found.problems == ["parameter /roadtrip/flags is missing in west (copy it from "
                              "east's SSM Parameter Store; east is unreadable now)"]


def test_an_image_tag_on_another_digest_is_refused() -> None:
    tag = {"roadtrip-api:stable": "sha256:new"}
    aws: Any = FakeAws({"east": FakeConfig(digests=tag),
                        "west": FakeConfig(digests={"roadtrip-api:stable": "sha256:old"})},
                       images=(EAST_URI.format(region="west"), "nginx:1.27"))

    found = check_images([ServiceImages(cluster="roadtrip", services=["api"])], aws,
                         "east", "west")

    assert found.problems == ["image roadtrip-api:stable is sha256:old in west but sha256:new "
                              "in east: the tag points at a different image"]
    assert found.notes == ["nginx:1.27 (task definition roadtrip-api:7) is not in ECR: not "
                           "checked"]


def test_a_task_pulling_from_the_failed_regions_registry_is_refused() -> None:
    aws: Any = FakeAws({"east": FakeConfig(), "west": FakeConfig()},
                       images=(EAST_URI.format(region="east"),))

    found = check_images([ServiceImages(cluster="roadtrip", services=["api"])], aws,
                         "east", "west")

    assert found.problems == [f"roadtrip-api:7 in west pulls {EAST_URI.format(region='east')} "
                              "from east's registry: point it at west's ECR"]


def test_a_refused_failover_hints_the_blocking_checks_own_ways_out() -> None:
    # The failover's hint used to be "fix the target region" whatever blocked it.
    hint = "put them in west (see each problem), then `drctl plan --region west`"
    blocking = [Check("secrets_in_target", False, "secret x is missing", hint=hint),
                Check("parameters_in_target", False, "parameter y is missing", hint=hint),
                Check("target_app_healthy", False, "503")]

    no_spec: Any = None  # read only when replication lag alone blocks

    assert _way_out(blocking, no_spec) == hint + "; or pass --force to fail over anyway"
    assert _way_out(blocking[2:], no_spec) == ("fix the target region, or pass --force to fail "
                                               "over anyway")
