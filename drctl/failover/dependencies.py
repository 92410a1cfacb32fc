"""Pre-flight: does the target region have what the application needs? (playbook
`dependencies:`) Failovers that fail in real life mostly fail here: a secret never replicated,
an image missing from that region's registry, a parameter nobody copied.

Each check names every missing thing and where it should come from (the region being left).
A secret's replica must be current (last changed no earlier than the source's) and an image
tag must resolve to the same digest as in the source region -- when the source region can be
read; when it cannot (it is down), the check says it could only check existence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drctl.aws.app_config import parse_ecr_image
from drctl.aws.estate import Aws
from drctl.core.clock import iso
from drctl.core.errors import DrctlError
from drctl.playbook.schema import ServiceImages


@dataclass
class Findings:
    """What one kind of dependency check found: problems block, notes only inform."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def detail(self, what: str, ok: str = "present") -> str:
        if self.problems:
            return "; ".join(self.problems + self.notes)
        return "; ".join([f"{self.checked} {what} {ok}", *self.notes])


def check_secrets(names: list[str], aws: Aws, source: str, target: str) -> Findings:
    found = Findings()
    for name in names:
        found.checked += 1
        replica = aws.app_config(target).secret(name)
        if replica is None:
            found.problems.append(
                f"secret {name} is missing in {target} (replicate it from {source}: aws "
                f"secretsmanager replicate-secret-to-regions --secret-id {name} "
                f"--add-replica-regions Region={target} --region {source})")
            continue
        try:
            original = aws.app_config(source).secret(name)
        except DrctlError:
            found.notes.append(f"secret {name}: exists; {source} unreadable, so not "
                               "compared with its source")
            continue
        if original and original.last_changed and replica.last_changed and \
                replica.last_changed < original.last_changed:
            found.problems.append(
                f"secret {name} in {target} is stale: last changed "
                f"{iso(replica.last_changed)}, {source}'s {iso(original.last_changed)}")
    return found


def check_parameters(names: list[str], aws: Aws, source: str, target: str) -> Findings:
    found = Findings()
    for name in names:
        found.checked += 1
        if not aws.app_config(target).parameter_exists(name):
            found.problems.append(f"parameter {name} is missing in {target} "
                                  f"({_copy_parameter(name, aws, source, target)})")
    return found


def _copy_parameter(name: str, aws: Aws, source: str, target: str) -> str:
    """Where the parameter should come from: the command that copies it, when the source
    region has it (its type decides the decryption)."""
    try:
        kind = aws.app_config(source).parameter_type(name)
    except DrctlError:
        return f"copy it from {source}'s SSM Parameter Store; {source} is unreadable now"
    if kind is None:
        return f"it is not in {source} either: create it in both"
    decrypt = " --with-decryption" if kind == "SecureString" else ""
    return (f"copy it from {source}: aws ssm put-parameter --region {target} --name {name} "
            f"--type {kind} --value \"$(aws ssm get-parameter --region {source} --name "
            f"{name}{decrypt} --query Parameter.Value --output text)\"")


def check_images(services: list[ServiceImages], aws: Aws, source: str,
                 target: str) -> Findings:
    found = Findings()
    for entry in services:
        for service in entry.services:
            task = aws.ecs(target).task_images(entry.cluster, service)
            for uri in task.images:
                found.checked += 1
                _check_image(uri, task.task_definition, aws, source, target, found)
    return found


def _check_image(uri: str, task: str, aws: Aws, source: str, target: str,
                 found: Findings) -> None:
    image = parse_ecr_image(uri)
    if image is None:
        found.notes.append(f"{uri} (task definition {task}) is not in ECR: not checked")
        return
    if image.region != target:
        found.problems.append(f"{task} in {target} pulls {uri} from {image.region}'s "
                              f"registry: point it at {target}'s ECR")
        return
    if image.tag is None:
        found.notes.append(f"{uri} (task definition {task}) is pinned by digest: not checked")
        return
    digest = aws.app_config(target).image_digest(image.repository, image.tag)
    if digest is None:
        found.problems.append(f"image {image.reference} (task definition {task}) is missing "
                              f"in {target}'s ECR (replicate it from {source}'s: ECR "
                              "replication, or push it)")
        return
    try:
        original = aws.app_config(source).image_digest(image.repository, image.tag)
    except DrctlError:
        found.notes.append(f"image {image.reference}: present; {source} unreadable, so its "
                           "digest was not compared")
        return
    if original is not None and original != digest:
        found.problems.append(f"image {image.reference} is {digest} in {target} but {original} "
                              f"in {source}: the tag points at a different image")
