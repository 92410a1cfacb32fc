"""Loading a Chaos Toolkit experiment as `chaos run` would, and refusing what cannot run.

Everything here happens in the drctl process before anything runs: chaoslib's loader and
validator (the same messages `chaos run` prints), `--var`/`--var-file` merged by chaoslib,
and drctl's own checks. Any problem is InvalidInput (exit 2), and nothing has run yet.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from chaoslib import convert_vars, merge_vars
from chaoslib.configuration import load_configuration
from chaoslib.exceptions import ChaosException
from chaoslib.experiment import ensure_experiment_is_valid
from chaoslib.loader import load_experiment
from chaoslib.types import Strategy

from drctl.chaos.extension import GuardRails, guard_rails
from drctl.core.errors import InvalidInput

ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")
# drctl's default: rollbacks run whenever the method may have changed something -- including
# when a guard or the operator stopped the run, where chaoslib's "default" would skip them.
DRCTL_ROLLBACK_STRATEGY = "always"


@dataclass(frozen=True)
class ChaosExperiment:
    path: str
    document: dict[str, Any]  # as loaded: what chaoslib runs and the journal records
    guard: GuardRails
    target_regions: tuple[str, ...]
    config_vars: dict[str, Any] = field(default_factory=dict)
    secret_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.document.get("title", ""))

    @property
    def rollback_strategy(self) -> str:
        runtime = self.document.get("runtime") or {}
        return str((runtime.get("rollbacks") or {}).get("strategy", DRCTL_ROLLBACK_STRATEGY))

    @property
    def hypothesis_probes(self) -> list[dict[str, Any]]:
        return list((self.document.get("steady-state-hypothesis") or {}).get("probes") or [])

    @property
    def method(self) -> list[dict[str, Any]]:
        return list(self.document.get("method") or [])

    @property
    def rollbacks(self) -> list[dict[str, Any]]:
        return list(self.document.get("rollbacks") or [])


def load_chaos_experiment(path: str, var: list[str] | None = None,
                          var_files: list[str] | None = None) -> ChaosExperiment:
    """Load, validate and bind variables. Raises InvalidInput with chaoslib's message."""
    document = _load(path)
    config_vars, secret_vars = _merge_vars(var or [], var_files or [])
    _refuse_unknown_vars(document, config_vars)
    try:
        ensure_experiment_is_valid(document)
    except ChaosException as exc:
        raise InvalidInput(f"{path}: invalid experiment: {exc}") from None
    _check_runtime(path, document.get("runtime") or {})
    guard = guard_rails(document)
    regions = tuple(guard.target_regions) or _configured_region(document, config_vars)
    return ChaosExperiment(path, document, guard, regions, config_vars, secret_vars)


def _check_runtime(path: str, runtime: dict[str, Any]) -> None:
    strategy = (runtime.get("rollbacks") or {}).get("strategy")
    if strategy is not None and strategy not in ROLLBACK_STRATEGIES:
        raise InvalidInput(f"{path}: runtime.rollbacks.strategy must be one of "
                           f"{', '.join(ROLLBACK_STRATEGIES)}, not {strategy!r}")
    hypothesis = (runtime.get("hypothesis") or {}).get("strategy")
    try:
        Strategy.from_string(hypothesis or "default")
    except ValueError:
        raise InvalidInput(f"{path}: runtime.hypothesis.strategy {hypothesis!r} is not one of "
                           "default, before-method-only, after-method-only, "
                           "during-method-only, continuously, skip") from None


def _load(path: str) -> dict[str, Any]:
    if not Path(path).is_file():
        raise InvalidInput(f"{path}: no such experiment file")
    try:
        document = load_experiment(path)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except ChaosException as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path}: an experiment is a JSON/YAML object")
    return document


def _merge_vars(var: list[str], var_files: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    for var_file in var_files:
        _check_var_file(var_file)
    try:
        values = convert_vars(var)
    except ValueError as exc:
        raise InvalidInput(f"--var: {exc}") from None
    # chaoslib injects a .env var file into os.environ; the experiment's process inherits it.
    config_vars, secret_vars = merge_vars(values, var_files)
    return dict(config_vars), dict(secret_vars)


def _check_var_file(var_file: str) -> None:
    """chaoslib logs and skips a var file it cannot read; drctl refuses it instead."""
    path = Path(var_file)
    if not path.is_file():
        raise InvalidInput(f"--var-file {var_file}: no such file")
    if path.suffix not in (".json", ".yaml", ".yml"):
        return  # a .env file
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML reads JSON too
    except yaml.YAMLError as exc:
        raise InvalidInput(f"--var-file {var_file}: cannot parse: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"--var-file {var_file}: must map `configuration`/`secrets`")


def _refuse_unknown_vars(document: dict[str, Any], config_vars: dict[str, Any]) -> None:
    """`chaos run` silently ignores a variable the experiment does not declare; a typo in a
    --var then runs the experiment with its default -- against the wrong target, maybe."""
    declared = set(document.get("configuration") or {})
    unknown = sorted(set(config_vars) - declared)
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise InvalidInput(f"unknown variable(s) {', '.join(unknown)}: the experiment's "
                           f"configuration declares {known}")


def _configured_region(document: dict[str, Any], config_vars: dict[str, Any]) -> tuple[str, ...]:
    """The region chaostoolkit-aws would act in: `aws_region`, else the environment's."""
    try:
        config = load_configuration(document.get("configuration") or {}, dict(config_vars))
    except ChaosException as exc:
        raise InvalidInput(f"invalid configuration: {exc}") from None
    region = config.get("aws_region") or os.environ.get("AWS_REGION") or os.environ.get(
        "AWS_DEFAULT_REGION")
    return (str(region),) if region else ()
