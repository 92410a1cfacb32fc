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
from drctl.chaos.regions import acting_regions, check_declared
from drctl.core.errors import InvalidInput

ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")
# drctl's default: rollbacks run whenever the method may have changed something -- including
# when a guard or the operator stopped the run, where chaoslib's "default" would skip them.
DRCTL_ROLLBACK_STRATEGY = "always"


@dataclass(frozen=True)
class ChaosExperiment:
    """The experiment, loaded once: what pre-flight, the plan, the experiment process and the
    verdict all read. `document` is what chaoslib runs and the journal records, unchanged."""

    path: str
    document: dict[str, Any]
    guard: GuardRails
    acting_regions: tuple[str, ...]  # derived as chaostoolkit-aws does (drctl.chaos.regions)
    config_vars: dict[str, Any] = field(default_factory=dict)
    secret_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.document.get("title", ""))

    @property
    def target_regions(self) -> tuple[str, ...]:
        """Every region the guard judges: the declared ones and those it really acts in."""
        return tuple(dict.fromkeys([*self.guard.target_regions, *self.acting_regions]))

    @property
    def exclusive(self) -> bool:
        return self.guard.exclusive

    @property
    def rollback_strategy(self) -> str:
        runtime = self.document.get("runtime") or {}
        return str((runtime.get("rollbacks") or {}).get("strategy", DRCTL_ROLLBACK_STRATEGY))

    @property
    def declares_steady_state(self) -> bool:
        return bool(self.hypothesis_probes)

    @property
    def hypothesis_probes(self) -> list[dict[str, Any]]:
        return list((self.document.get("steady-state-hypothesis") or {}).get("probes") or [])

    @property
    def method(self) -> list[dict[str, Any]]:
        return list(self.document.get("method") or [])

    @property
    def rollbacks(self) -> list[dict[str, Any]]:
        return list(self.document.get("rollbacks") or [])


class MissingEnvironment(InvalidInput):
    """The experiment reads environment variables that are not set (and have no default)."""

    def __init__(self, path: str, names: list[str], document: dict[str, Any]) -> None:
        key = _reading(document, names[0])
        super().__init__(f"{path}: the experiment reads environment variable(s) "
                         f"{', '.join(names)}, which are not set",
                         hint=f"export {names[0]}=VALUE, or run it with --var {key}=VALUE "
                              f"(its configuration key {key!r} reads {names[0]})")
        self.names = names
        self.document = document


def load_chaos_experiment(path: str, var: list[str] | None = None,
                          var_files: list[str] | None = None) -> ChaosExperiment:
    """Load, validate and bind variables. Raises InvalidInput with chaoslib's message."""
    document = _load(path)
    config_vars, secret_vars = _merge_vars(var or [], var_files or [])
    _refuse_unknown_vars(document, config_vars)
    missing = _missing_environment(document, config_vars)
    if missing:
        raise MissingEnvironment(path, missing, document)
    try:
        ensure_experiment_is_valid(_bound(document, config_vars))
    except ChaosException as exc:
        raise InvalidInput(f"{path}: invalid experiment: {exc}") from None
    _check_runtime(path, document.get("runtime") or {})
    guard = guard_rails(document)
    activities = [*((document.get("steady-state-hypothesis") or {}).get("probes") or []),
                  *(document.get("method") or []), *(document.get("rollbacks") or [])]
    acting = acting_regions(_configuration(document, config_vars), activities)
    check_declared(tuple(guard.target_regions), acting, path)
    return ChaosExperiment(path, document, guard, acting, config_vars, secret_vars)


def _missing_environment(document: dict[str, Any], config_vars: dict[str, Any]) -> list[str]:
    configuration = document.get("configuration") or {}
    return [str(value["key"]) for name, value in configuration.items()
            if isinstance(value, dict) and value.get("type") == "env" and "key" in value
            and "default" not in value and name not in config_vars
            and str(value["key"]) not in os.environ]


def _reading(document: dict[str, Any], env_name: str) -> str:
    """The configuration key that reads environment variable `env_name`."""
    configuration = document.get("configuration") or {}
    return next(name for name, value in configuration.items()
                if isinstance(value, dict) and value.get("key") == env_name)


def _bound(document: dict[str, Any], config_vars: dict[str, Any]) -> dict[str, Any]:
    """The document as chaoslib will run it: a configuration key given with --var holds its
    value, so chaoslib's validation does not ask for the environment variable it replaces."""
    configuration = {**(document.get("configuration") or {}), **config_vars}
    return {**document, "configuration": configuration} if config_vars else document


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


def _configuration(document: dict[str, Any], config_vars: dict[str, Any]) -> dict[str, Any]:
    """The configuration chaoslib will run with (env and --var values bound)."""
    try:
        return dict(load_configuration(document.get("configuration") or {}, dict(config_vars)))
    except ChaosException as exc:
        raise InvalidInput(f"invalid configuration: {exc}") from None
