"""Seeds what the Roadtrip app needs in each region besides compute: its secret (created in the
primary, replicated to the secondary), its feature-flag parameter, and the `api` image in the
region's ECR -- the same image (same digest) in both."""

from __future__ import annotations

import json
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.sandbox import estate

# A minimal image manifest: ECR stores what it is given; the digest is what a pull resolves.
# moto derives the digest from the layers alone, so a layerless manifest would resolve to the
# digest of nothing -- the same as any other layerless image, and a different image pushed
# under the tag would look identical. One layer gives the image a digest of its own.
_MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
               "digest": "sha256:" + "5" * 64},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 2048, "digest": "sha256:" + "a" * 64}],
})


def seed_app_config(clients: ClientFactory, region: str) -> dict[str, Any]:
    if region == estate.PRIMARY:
        clients.client("secretsmanager", region).create_secret(
            Name=estate.APP_SECRET, SecretString=json.dumps({"api_key": "sandbox-only"}),
            AddReplicaRegions=[{"Region": r} for r in estate.REGIONS if r != region])
    clients.client("ssm", region).put_parameter(
        Name=estate.APP_PARAMETER, Type="String", Value=json.dumps({"voice": True}))
    ecr = clients.client("ecr", region)
    ecr.create_repository(repositoryName=estate.API_REPOSITORY)
    pushed = ecr.put_image(repositoryName=estate.API_REPOSITORY, imageManifest=_MANIFEST,
                           imageTag=estate.API_IMAGE_TAG)
    return {"secret": estate.APP_SECRET, "parameter": estate.APP_PARAMETER,
            "image": f"{estate.API_REPOSITORY}:{estate.API_IMAGE_TAG}",
            "digest": pushed["image"]["imageId"]["imageDigest"]}
