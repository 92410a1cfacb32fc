"""Pre-flight refuses a target region that lacks what the app needs: a secret, a parameter, an
image. Exit 4, each missing thing named with where it comes from, nothing changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from tests.e2e.helpers import Cli, estate_snapshot

pytestmark = pytest.mark.sandbox(lag=2.0)


def test_a_replication_rule_whose_role_is_gone_or_not_for_s3_blocks_the_switch(
        sandbox, aws, tmp_path: Path) -> None:
    """S3 replicates as the configuration's role: without it the rule copies nothing, however
    enabled it looks (runs before the test below, which leaves the estate in an outage)."""
    cli = Cli(sandbox, tmp_path / "state")
    s3 = aws.client("s3", "us-east-1")
    original = s3.get_bucket_replication(Bucket="roadtrip-media-us-east-1")[
        "ReplicationConfiguration"]
    iam = aws.client("iam", "us-east-1")
    ec2_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    not_for_s3 = iam.create_role(RoleName="not-for-s3",
                                 AssumeRolePolicyDocument=json.dumps(ec2_trust))["Role"]["Arn"]
    gone = original["Role"].rsplit("/", 1)[0] + "/deleted-role"
    try:
        for role, expected in ((gone, "the replication role arn:aws:iam::123456789012:role/"
                                      "deleted-role of bucket roadtrip-media-us-east-1 does not "
                                      "exist"),
                               (not_for_s3, "the replication role not-for-s3 of bucket "
                                            "roadtrip-media-us-east-1 does not trust "
                                            "s3.amazonaws.com")):
            s3.put_bucket_replication(Bucket="roadtrip-media-us-east-1",
                                      ReplicationConfiguration={**original, "Role": role})
            blocked = cli("plan", "--region", "us-west-2")
            assert blocked.returncode == 4 and expected in blocked.stdout + blocked.stderr, (
                blocked.stdout + blocked.stderr)
            checked = cli("validate")
            assert checked.returncode == 2 and expected in checked.stdout, checked.stdout
    finally:
        s3.put_bucket_replication(Bucket="roadtrip-media-us-east-1",
                                  ReplicationConfiguration=original)
    assert cli("plan", "--region", "us-west-2").returncode == 0


def test_missing_secret_parameter_and_image_refuse_the_failover(sandbox, aws,
                                                                tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    plan = cli.json("plan", "--region", "us-west-2")
    checks = {c["name"]: c for c in plan["preflight"]}
    assert checks["secrets_in_target"]["ok"] and checks["parameters_in_target"]["ok"]
    assert checks["images_in_target"]["detail"] == "1 image(s) present"
    _a_different_image_under_the_tag_refuses_the_failover(cli, aws)

    aws.client("secretsmanager", "us-east-1").remove_regions_from_replication(
        SecretId="roadtrip/api", RemoveReplicaRegions=["us-west-2"])
    aws.client("ssm", "us-west-2").delete_parameter(Name="/roadtrip/config/feature-flags")
    aws.client("ecr", "us-west-2").batch_delete_image(
        repositoryName="roadtrip-api", imageIds=[{"imageTag": "stable"}])
    manager.outage(sandbox.state_dir, "us-east-1")
    before = estate_snapshot(aws)

    refused = cli("failover", "--region", "us-west-2", "--yes", "--json")
    assert refused.returncode == 4, refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert "secret roadtrip/api is missing in us-west-2 (replicate it from us-east-1" in error
    assert ("parameter /roadtrip/config/feature-flags is missing in us-west-2 (copy it from "
            "us-east-1") in error
    assert ("image roadtrip-api:stable (task definition roadtrip-api:1) is missing in "
            "us-west-2's ECR") in error
    assert estate_snapshot(aws) == before


def _a_different_image_under_the_tag_refuses_the_failover(cli: Cli, aws: ClientFactory) -> None:
    """`stable` in us-west-2 re-pointed at another image (another layer): the digests differ,
    and the failover is refused naming both -- the seeded image has a digest of its own, not
    the digest of nothing every layerless image shares in moto."""
    digests = {r: aws.client("ecr", r).describe_images(
        repositoryName="roadtrip-api", imageIds=[{"imageTag": "stable"}]
    )["imageDetails"][0]["imageDigest"] for r in ("us-east-1", "us-west-2")}
    assert digests["us-east-1"] == digests["us-west-2"] != "sha256:" + hashlib.sha256().hexdigest()
    other = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                   "digest": "sha256:" + "6" * 64},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 9, "digest": "sha256:" + "7" * 64}]})
    pushed = aws.client("ecr", "us-west-2").put_image(
        repositoryName="roadtrip-api", imageManifest=other, imageTag="stable")
    before = estate_snapshot(aws)

    refused = cli("failover", "--region", "us-west-2", "--yes", "--json")

    assert refused.returncode == 4, refused.stderr
    assert (f"image roadtrip-api:stable is {pushed['image']['imageId']['imageDigest']} in "
            f"us-west-2 but {digests['us-east-1']} in us-east-1: the tag points at a different "
            "image") in json.loads(refused.stdout)["error"]
    assert estate_snapshot(aws) == before
