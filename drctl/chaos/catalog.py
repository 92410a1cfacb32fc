"""`drctl chaos list`: the experiments in a directory and their last verdicts (when they run is
the playbook's `schedules:`, shown by `drctl schedule list`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drctl.chaos.experiment import MissingEnvironment, load_chaos_experiment
from drctl.chaos.extension import guard_rails
from drctl.chaos.runner import KIND
from drctl.core.clock import iso
from drctl.core.errors import InvalidInput
from drctl.store.base import Store, list_runs

SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class CatalogEntry:
    path: str
    title: str | None
    scope: str | None
    target_regions: list[str]
    problem: str | None  # why the file is not a valid experiment
    last_run: dict[str, Any] | None
    # Environment variables it reads that this shell does not set: valid, but not runnable here
    needs_env: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "title": self.title, "scope": self.scope,
            "target_regions": self.target_regions,
            "valid": self.problem is None, "problem": self.problem, "needs_env": self.needs_env,
            "last_run": self.last_run,
        }


def list_experiments(directory: Path, store: Store, history: int = 500) -> list[CatalogEntry]:
    """Every experiment file in `directory` (sorted). InvalidInput if it is not a directory."""
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: not a directory of experiments")
    last = _last_runs(store, history)
    return [_entry(path, last) for path in sorted(directory.iterdir())
            if path.suffix in SUFFIXES and path.is_file()]


def _entry(path: Path, last: dict[str, dict[str, Any]]) -> CatalogEntry:
    latest = last.get(str(path.resolve()))
    try:
        experiment = load_chaos_experiment(str(path))
    except MissingEnvironment as exc:  # a fine experiment, for another shell's environment
        document = exc.document
        rails = guard_rails(document)
        return CatalogEntry(str(path), str(document.get("title", "")), rails.scope,
                            list(rails.target_regions), None, latest, exc.names)
    except InvalidInput as exc:
        return CatalogEntry(str(path), None, None, [], exc.message, latest)
    return CatalogEntry(str(path), experiment.title, experiment.guard.scope,
                        list(experiment.target_regions), None, latest)


def _last_runs(store: Store, history: int) -> dict[str, dict[str, Any]]:
    """Experiment file -> its newest run (run id, verdict, when)."""
    last: dict[str, dict[str, Any]] = {}
    for run in list_runs(store, KIND, history):  # newest first
        key = str(run.params.get("experiment_file"))
        if key not in last:
            verdict = run.figures.verdict if run.figures is not None else None
            last[key] = {"run_id": run.run_id, "verdict": verdict,
                         "status": str(run.effective_status), "started_at": iso(run.started_at)}
    return last
