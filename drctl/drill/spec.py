"""What one drill is about: a playbook drill target, a kind, the time asked for, and its targets.

`select_drills` turns the operator's flags into drill specs, refusing (exit 2) a target the
playbook does not list or a kind the target does not declare -- before anything is read or made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from drctl.aws.estate import Aws
from drctl.core.clock import Clock, iso
from drctl.core.errors import InvalidInput
from drctl.playbook.schema import DrillTarget, Playbook

KINDS = ("pitr", "snapshot", "cross-region", "versions", "replica")
# Kinds that restore as of a time the operator may choose (--at).
TIMED_KINDS = ("pitr", "versions")

# A hook runner: (argv, extra environment, timeout) -> (exit code, output tail).
HookRunner = Callable[[list[str], dict[str, str], float], tuple[int, str]]


@dataclass(frozen=True)
class DrillOptions:
    target: str | None = None
    kind: str | None = None
    at: datetime | None = None
    keep: float | None = None


@dataclass(frozen=True)
class DrillSpec:
    target: DrillTarget
    kind: str
    at: datetime | None
    keep: float
    rto_target: float
    rpo_target: float
    playbook: str
    prefix: str = ""   # s3: the part of the bucket the drill covers ("" = all of it)

    @property
    def name(self) -> str:
        return f"{self.target.target}/{self.prefix}" if self.prefix else self.target.target

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def restore_region(self) -> str:
        """Where the restored copy lives: the copy's region for a cross-region drill."""
        if self.kind == "cross-region" and self.target.copy_to:
            return self.target.copy_to
        return self.target.region

    def params(self) -> dict[str, Any]:
        return {"playbook": self.playbook, "target": self.name, "kind": self.kind,
                "region": self.region, "restore_region": self.restore_region,
                "at": iso(self.at), "keep_seconds": self.keep, "prefix": self.prefix,
                "rto_target_seconds": self.rto_target, "rpo_target_seconds": self.rpo_target}


@dataclass
class DrillDeps:
    """The collaborators a drill's steps use; built once by the CLI."""

    aws: Aws
    clock: Clock
    run_hook: HookRunner
    http: httpx.Client | None = None  # HTTP validation hooks; None: a client of their own


def select_drills(playbook: Playbook, options: DrillOptions) -> list[DrillSpec]:
    """The drills the flags ask for: one target and kind, or every declared one.

    Raises InvalidInput for a playbook without drills, an unknown target, a kind the target does
    not declare, or `--at` given for a snapshot drill (a snapshot's time is its own).
    """
    if playbook.drills is None:
        raise InvalidInput(f"playbook {playbook.name!r} declares no drills",
                           hint="add a `drills:` section (see playbooks/roadtrip.yaml)")
    targets = playbook.drills.targets
    wanted, prefix = _split_prefix(options.target)
    if wanted is not None:
        targets = [t for t in targets if t.target == wanted]
        if not targets:
            known = ", ".join(t.target for t in playbook.drills.targets)
            raise InvalidInput(f"unknown drill target {options.target!r} (playbook "
                               f"{playbook.name!r} has: {known})")
    if wanted is None and options.kind is not None:
        # --kind alone: the targets that declare it.
        targets = [t for t in targets if options.kind in t.kinds]
        if not targets:
            raise InvalidInput(f"no drill target of playbook {playbook.name!r} declares "
                               f"{options.kind} drills")
    specs = [_spec(playbook, t, kind, options, prefix)
             for t in targets for kind in _kinds(t, options.kind)]
    if options.at is not None and any(s.kind not in TIMED_KINDS for s in specs):
        raise InvalidInput("--at is the time to restore to, for pitr and versions drills only",
                           hint="add --kind pitr (--kind versions for an s3: target)")
    return specs


def _split_prefix(target: str | None) -> tuple[str | None, str]:
    """`s3:BUCKET/PREFIX` narrows the playbook's `s3:BUCKET` to a prefix."""
    if target is None or not target.startswith("s3:") or "/" not in target:
        return target, ""
    bucket, prefix = target.split("/", 1)
    return bucket, prefix


def _kinds(target: DrillTarget, kind: str | None) -> list[str]:
    if kind is None:
        return list(target.kinds)
    if kind not in target.kinds:
        raise InvalidInput(f"{target.target} has no {kind} drill (it declares: "
                           f"{', '.join(target.kinds)})")
    return [kind]


def _spec(playbook: Playbook, target: DrillTarget, kind: str, options: DrillOptions,
          prefix: str = "") -> DrillSpec:
    goals = target.targets or playbook.targets
    keep = target.keep if options.keep is None else options.keep
    return DrillSpec(target, kind, options.at, keep, goals.rto, goals.rpo, playbook.name,
                     prefix)
