"""What the application needs in a region besides its compute: Secrets Manager secrets, SSM
parameters and ECR images. Read only: drctl checks they are there before a failover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drctl.aws.errors import absent_as_none

_ABSENT = {"ResourceNotFoundException", "ParameterNotFound", "RepositoryNotFoundException",
           "ImageNotFoundException"}
# 123456789012.dkr.ecr.us-west-2.amazonaws.com/roadtrip-api:stable (or @sha256:...)
_ECR_URI = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com"
                      r"(?:\.cn)?/(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>.+))?$")


@dataclass(frozen=True)
class Secret:
    name: str
    last_changed: datetime | None
    primary_region: str | None    # set on a replica: the region it is replicated from


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}" if self.tag else f"{self.repository}@{self.digest}"


def parse_ecr_image(uri: str) -> EcrImage | None:
    """The ECR image a container image URI names; None for an image outside ECR."""
    found = _ECR_URI.match(uri)
    if found is None:
        return None
    return EcrImage(found["account"], found["region"], found["repository"], found["tag"],
                    found["digest"])


class AppConfig:
    def __init__(self, secrets: Any, ssm: Any, ecr: Any, region: str) -> None:
        self._secrets, self._ssm, self._ecr = secrets, ssm, ecr
        self.region = region

    def secret(self, name: str) -> Secret | None:
        found = self._none_if_absent(f"describe secret {name}",
                                     lambda: self._secrets.describe_secret(SecretId=name))
        if found is None or found.get("DeletedDate"):
            return None
        return Secret(name, found.get("LastChangedDate"), found.get("PrimaryRegion"))

    def parameter_exists(self, name: str) -> bool:
        return self.parameter_type(name) is not None

    def parameter_type(self, name: str) -> str | None:
        """`String`, `StringList` or `SecureString`; None when there is no such parameter."""
        found = self._none_if_absent(f"get parameter {name}",
                                     lambda: self._ssm.get_parameter(Name=name))
        return str(found["Parameter"]["Type"]) if found else None

    def image_digest(self, repository: str, tag: str) -> str | None:
        """The digest `repository:tag` resolves to in this region's ECR, or None."""
        found = self._none_if_absent(
            f"describe image {repository}:{tag}", lambda: self._ecr.describe_images(
                repositoryName=repository, imageIds=[{"imageTag": tag}]))
        details = (found or {}).get("imageDetails", [])
        return str(details[0]["imageDigest"]) if details else None

    def _none_if_absent(self, what: str, call: Any) -> Any:
        return absent_as_none(what, self.region, call, _ABSENT)
