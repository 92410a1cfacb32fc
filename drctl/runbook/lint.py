"""`drctl runbook lint`: every problem of a runbook as `file:line`, before anyone runs it at 3am.

Structure and types come from loading (unknown action or field, bad YAML in a block, a
duplicate key); the checks here span steps: duplicate ids, templates naming what does not
exist (yet), `goto` to a missing or earlier step, `shell` without `allow_shell`, an API AWS
does not have, `last_validated` older than 90 days (a warning), and a runbook the controller
schedules that would wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from drctl.aws.generic import check_operation
from drctl.core.errors import InvalidInput
from drctl.runbook.actions.aws import AwsCall, is_read_only
from drctl.runbook.load import parse_runbook
from drctl.runbook.model import Runbook, RunStep
from drctl.runbook.params import coerce
from drctl.runbook.source import Problem
from drctl.runbook.templates import Templates, strings

STALE_AFTER = timedelta(days=90)
PEOPLE = ("manual", "approve")


@dataclass
class LintReport:
    path: Path
    runbook: Runbook | None
    problems: list[Problem] = field(default_factory=list)

    def failed(self, strict: bool) -> bool:
        return any(p.severity == "error" or strict for p in self.problems)


def lint_runbook(path: Path, today: date | None = None,
                 scheduled: bool = False) -> LintReport:
    """Every problem of the runbook at `path`. InvalidInput only when it cannot be read at all
    (missing, or neither Markdown nor YAML). `scheduled`: the controller runs it unattended."""
    runbook, source = parse_runbook(path)
    report = LintReport(path, runbook, list(source.problems))
    if runbook is not None:
        checks = _Checks(runbook, report.problems)
        checks.run(today or date.today())
        if scheduled:
            checks.unattended()
    return report


def scheduled_runbooks(playbook: Path) -> set[Path]:
    """Runbook files the playbook's `schedules:` run (paths relative to the playbook)."""
    try:
        data = yaml.safe_load(playbook.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{playbook}: cannot read the playbook's schedules: {exc}") from None
    schedules = data.get("schedules") if isinstance(data, dict) else None
    found: set[Path] = set()
    for entry in schedules if isinstance(schedules, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("runbook"), str):
            found.add((playbook.parent / entry["runbook"]).resolve())
    return found


class _Checks:
    def __init__(self, runbook: Runbook, problems: list[Problem]) -> None:
        self.runbook, self.problems = runbook, problems
        self.templates = Templates()

    def add(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(f"{self.runbook.path}:{line}", message, severity))

    def run(self, today: date) -> None:
        self._freshness(today)
        self._param_defaults()
        seen: dict[str, RunStep] = {}
        for step in self.runbook.steps:
            if step.id in seen:
                self.add(step.line, f"duplicate step id {step.id!r} (first at line "
                         f"{seen[step.id].line})")
            seen.setdefault(step.id, step)
            self._step(step, seen)
        self._gotos()
        self._measures()

    def unattended(self) -> None:
        for step in self.runbook.steps:
            if step.spec.action in PEOPLE:
                self.add(step.line, f"step {step.id} is `{step.spec.action}`, but the "
                         "controller schedules this runbook: nobody is there to answer")

    def _freshness(self, today: date) -> None:
        validated = self.runbook.meta.last_validated
        if validated is None:
            self.add(1, "no last_validated date: when was this runbook last run for real?",
                     "warning")
        elif today - validated > STALE_AFTER:
            self.add(1, f"last_validated {validated} is {(today - validated).days} days ago "
                     f"(more than {STALE_AFTER.days}): run it in a drill and update it",
                     "warning")

    def _param_defaults(self) -> None:
        for name, spec in self.runbook.meta.params.items():
            if not spec.required and spec.default is not None:
                try:
                    coerce(name, spec, spec.default)
                except InvalidInput as exc:
                    self.add(1, f"default of {exc.message}")

    def _step(self, step: RunStep, earlier: dict[str, RunStep]) -> None:
        spec = step.spec
        if spec.action == "shell" and not self.runbook.meta.allow_shell:
            self.add(step.line, f"step {step.id} is a shell step but the front matter does "
                     "not say `allow_shell: true`")
        if isinstance(spec, AwsCall):
            self._aws(step, spec)
        for name, text in self._templated(step):
            self._references(step, name, text, earlier)

    def _aws(self, step: RunStep, spec: AwsCall) -> None:
        try:
            check_operation(spec.service, spec.api)
        except InvalidInput as exc:
            self.add(step.line, f"step {step.id}: {exc.message}")
        if spec.action != "aws.call" and not is_read_only(spec.api):
            self.add(step.line, f"step {step.id}: {spec.action} repeats its call, so it must "
                     f"be a read-only API (Describe…, Get…, List…), not {spec.api}")

    def _templated(self, step: RunStep) -> list[tuple[str, str]]:
        found = [(name, text) for name in step.spec.TEMPLATED
                 for _, text in strings(step.raw.get(name))]
        if step.spec.skip_if:
            found.append(("skip_if", step.spec.skip_if))
        return [(name, text) for name, text in found if "{" in text]

    def _references(self, step: RunStep, name: str, text: str,
                    earlier: dict[str, RunStep]) -> None:
        try:
            refs = self.templates.references(text)
        except InvalidInput as exc:
            self.add(step.line, f"step {step.id} {name}: {exc.message}")
            return
        for ref in refs:
            problem = self._unresolved(ref, step, earlier)
            if problem:
                self.add(step.line, f"step {step.id} {name}: {'.'.join(ref)}: {problem}")

    def _unresolved(self, ref: tuple[str, ...], step: RunStep,
                    earlier: dict[str, RunStep]) -> str | None:
        root = ref[0]
        if root == "params":
            if len(ref) > 1 and ref[1] not in self.runbook.meta.params:
                return f"no param {ref[1]!r} in the front matter"
            return None
        if root != "steps":
            return "unknown name (templates read params.… and steps.<id>.outputs.…)"
        if len(ref) < 4 or ref[2] != "outputs":
            dashed = next((i for i in earlier if len(ref) > 1 and i.startswith(ref[1] + "-")),
                          None)
            if dashed:
                return f"a step id with '-' is written steps['{dashed}'].outputs.<name>"
            return "write steps.<id>.outputs.<name>" if len(ref) >= 2 else None
        other = earlier.get(ref[1])
        if other is None or other is step:
            return f"no step {ref[1]!r} before this one"
        known = set(other.spec.outputs) | set(other.spec.BUILTIN_OUTPUTS)
        if ref[3] not in known:
            return f"step {ref[1]} has no output {ref[3]!r} (it has: " \
                   f"{', '.join(sorted(known)) or 'none'})"
        return None

    def _gotos(self) -> None:
        order = {step.id: i for i, step in enumerate(self.runbook.steps)}
        for index, step in enumerate(self.runbook.steps):
            target = step.spec.goto
            if target is None:
                continue
            if target not in order:
                self.add(step.line, f"step {step.id}: on_failure goto:{target}: no such step")
            elif order[target] <= index:
                self.add(step.line, f"step {step.id}: on_failure goto:{target}: goto jumps "
                         "forward only (a loop could run forever)")

    def _measures(self) -> None:
        measures = self.runbook.meta.measures
        if measures is None:
            return
        ids = {step.id: step for step in self.runbook.steps}
        wanted: list[tuple[str, Any]] = [("recovery", measures.recovery),
                                         ("incident_start", measures.incident_start)]
        if measures.recovery_point:
            wanted.append(("recovery_point", measures.recovery_point.split(".")[0]))
        for name, step_id in wanted:
            if step_id is not None and step_id not in ids:
                self.add(1, f"measures.{name}: no step {step_id!r}")
        self._measured_output(ids, measures.incident_start, "incident_start")
        if measures.recovery_point:
            self._measured_output(ids, *measures.recovery_point.split(".", 1))

    def _measured_output(self, ids: dict[str, RunStep], step_id: str | None, name: str) -> None:
        step = ids.get(step_id or "")
        if step is not None and name not in step.spec.outputs:
            self.add(step.line, f"measures read steps.{step.id}.outputs.{name}, but step "
                     f"{step.id} has no such output")
