"""The playbooks one controller serves: `--playbook` repeated, or a directory of them.

A playbook that does not load, or a schedule that cannot run as written (its experiment file is
missing; its runbook does not load, waits for a person, or is not given the params it needs), is
reported and left out; the others go on.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from drctl.controller.runners import LoadedPlaybook
from drctl.controller.tick import Job
from drctl.core.errors import InvalidInput, PlaybookError
from drctl.playbook.loader import load_playbook, locate
from drctl.playbook.problems import Problem
from drctl.playbook.schedules import Schedule

SUFFIXES = (".yaml", ".yml")


@dataclass
class Served:
    playbooks: dict[str, LoadedPlaybook] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def playbook_files(given: list[str]) -> list[Path]:
    """Each `--playbook`: a file, or a directory whose *.yaml/*.yml files are playbooks."""
    files: list[Path] = []
    for entry in given:
        path = Path(entry)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        else:
            files.append(path)
    return files


def load_served(given: list[str]) -> Served:
    """Load every playbook and its schedules. InvalidInput when nothing at all can be served."""
    served = Served()
    for path in playbook_files(given):
        try:
            playbook = load_playbook(path)
        except PlaybookError as exc:
            served.problems.append(exc.message)
            continue
        if playbook.name in served.playbooks:
            other = served.playbooks[playbook.name].path
            served.problems.append(f"{path}: playbook name {playbook.name!r} is also {other}'s;"
                                   " it is left out")
            continue
        loaded = LoadedPlaybook(path.resolve(), playbook)
        served.playbooks[playbook.name] = loaded
        broken = schedule_problems(loaded)
        served.problems += [f"{locate(path, p.loc)}: {p.message}" for p in broken.values()]
        served.jobs += [Job.of(playbook.name, schedule) for schedule in playbook.schedules
                        if schedule.name not in broken]
    if not served.playbooks:
        detail = "; ".join(served.problems) or "no playbook files found"
        raise InvalidInput(f"no playbook to serve: {detail}")
    return served


def schedule_problems(loaded: LoadedPlaybook) -> dict[str, Problem]:
    """Schedule name -> why it cannot run as written, at its `chaos:` or `runbook:` entry (the
    file checks `drctl validate` makes too; the controller leaves such a schedule out)."""
    found = {}
    for index, schedule in enumerate(loaded.playbook.schedules):
        problem = schedule_problem(loaded, schedule)
        if problem:
            entry = "chaos" if schedule.chaos is not None else "runbook"
            found[schedule.name] = Problem(("schedules", index, entry),
                                           f"schedule {schedule.name!r}: {problem}")
    return found


def schedule_problem(loaded: LoadedPlaybook, schedule: Schedule) -> str | None:
    """Why the schedule cannot run as written, or None."""
    if schedule.chaos is not None:
        experiment = loaded.resolve(schedule.chaos)
        if not experiment.is_file():
            return f"chaos experiment {experiment} does not exist (paths are relative to the " \
                   "playbook's file)"
        if importlib.util.find_spec("chaoslib") is None:
            return "chaos experiments need chaostoolkit-lib: pip install 'drctl[chaos]'"
    if schedule.runbook is not None:
        return runbook_problem(loaded.resolve(schedule.runbook), schedule)
    return None


def runbook_problem(path: Path, schedule: Schedule) -> str | None:
    """Why the runbook cannot run unattended with the schedule's params, or None. (The run
    checks it again: the file may change while the controller runs.)"""
    if not path.is_file():
        return f"runbook {path} does not exist (paths are relative to the playbook's file)"
    if importlib.util.find_spec("markdown_it") is None:
        return "runbooks need the runbook extra: pip install 'drctl[runbook]'"
    from drctl.runbook.lint import PEOPLE
    from drctl.runbook.load import load_runbook
    from drctl.runbook.params import resolve_params

    try:
        runbook = load_runbook(path)
        resolve_params(runbook, dict(schedule.params))
    except InvalidInput as exc:
        return exc.message
    people = [s.id for s in runbook.steps if s.spec.action in PEOPLE]
    if people:
        return (f"runbook {runbook.meta.id} waits for a person at {', '.join(people)}: a "
                "schedule runs it unattended (run it with `drctl runbook run`)")
    return None
