"""Where an experiment really acts, derived as chaostoolkit-aws does -- not taken on trust.

chaostoolkit-aws builds each client in `configuration["aws_region"]`, else `AWS_REGION`, else
`AWS_DEFAULT_REGION`; drctl's own probes and actions also take a `region` argument. The regions
an experiment acts in are those, and the guard judges them. An experiment whose declared
`target_regions` leave out a region it acts in is refused (exit 2): the declaration is what
reviewers read, and the blast-radius check must not be fooled by it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from drctl.core.errors import InvalidInput

REGION_ARGUMENTS = ("region", "aws_region", "region_name")


def acting_regions(configuration: Mapping[str, Any], activities: Iterable[dict[str, Any]]
                   ) -> tuple[str, ...]:
    """The configured region (as chaosaws finds it) and every region an activity names."""
    found: list[str] = []
    default = configuration.get("aws_region") or os.environ.get("AWS_REGION") or \
        os.environ.get("AWS_DEFAULT_REGION")
    if default:
        found.append(str(default))
    for activity in activities:
        arguments = (activity.get("provider") or {}).get("arguments") or {}
        if isinstance(arguments, dict):
            found += [_substituted(arguments[name], configuration) for name in REGION_ARGUMENTS
                      if isinstance(arguments.get(name), str)]
    return tuple(dict.fromkeys(found))


def check_declared(declared: tuple[str, ...], acting: tuple[str, ...], where: str) -> None:
    """InvalidInput when the experiment acts in a region its declaration leaves out."""
    undeclared = [r for r in acting if r not in declared]
    if declared and undeclared:
        raise InvalidInput(
            f"{where}: the drctl extension declares target_regions {', '.join(declared)}, but "
            f"the experiment acts in {', '.join(undeclared)} (its configuration's aws_region, "
            "the environment's AWS_REGION/AWS_DEFAULT_REGION, or an activity's region "
            "argument)", hint="declare every region it acts in, or point it at the declared one")


def _substituted(value: str, configuration: Mapping[str, Any]) -> str:
    """`${name}` from the configuration, as chaoslib substitutes it."""
    if value.startswith("${") and value.endswith("}"):
        return str(configuration.get(value[2:-1], value))
    return value
