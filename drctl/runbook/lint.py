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
from drctl.runbook.load import Block, Parsed, parse_runbook
from drctl.runbook.model import ON_FAILURE, TEMPLATED_DURATIONS, Runbook, RunStep
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
    """Every problem of the runbook at `path`, in file order. InvalidInput only when it cannot
    be read at all (missing, or neither Markdown nor YAML). `scheduled`: the controller runs
    it unattended. A step with errors of its own is still checked against the others."""
    parsed = parse_runbook(path)
    problems = list(parsed.source.problems)
    checks = _Checks(path, parsed.runbook, parsed.blocks, problems, _allows_shell(parsed))
    checks.run(today or date.today())
    if scheduled:
        checks.unattended()
    problems.sort(key=_line)  # stable: problems on one line keep the order they were found
    return LintReport(path, parsed.runbook, problems)


def _line(problem: Problem) -> int:
    number = problem.location.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 0


def _allows_shell(parsed: Parsed) -> bool:
    if parsed.runbook is not None:
        return parsed.runbook.meta.allow_shell
    front = parsed.source.front
    return isinstance(front.data, dict) and front.data.get("allow_shell") is True \
        if front else False


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
    def __init__(self, path: Path, runbook: Runbook | None, blocks: list[Block],
                 problems: list[Problem], allow_shell: bool) -> None:
        self.path, self.runbook, self.blocks = path, runbook, blocks
        self.problems, self.allow_shell = problems, allow_shell
        self.templates = Templates()

    def add(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(f"{self.path}:{line}", message, severity))

    def run(self, today: date) -> None:
        if self.runbook is not None:
            self._freshness(today)
            self._param_defaults()
        seen: dict[str, Block] = {}
        for block in self.blocks:
            if block.id is not None and block.id in seen:
                self.add(block.line, f"duplicate step id {block.id!r} (first at line "
                         f"{seen[block.id].line})")
            self._block(block, seen)
            if block.id is not None:
                seen.setdefault(block.id, block)
        self._gotos()
        if self.runbook is not None:
            self._measures(self.runbook)

    def unattended(self) -> None:
        for block in self.blocks:
            if block.raw.get("action") in PEOPLE:
                self.add(block.line, f"step {block.id} is `{block.raw['action']}`, but the "
                         "controller schedules this runbook: nobody is there to answer")

    def _freshness(self, today: date) -> None:
        assert self.runbook is not None
        validated = self.runbook.meta.last_validated
        if validated is None:
            self.add(1, "no last_validated date: when was this runbook last run for real?",
                     "warning")
        elif today - validated > STALE_AFTER:
            self.add(1, f"last_validated {validated} is {(today - validated).days} days ago "
                     f"(more than {STALE_AFTER.days}): run it in a drill and update it",
                     "warning")

    def _param_defaults(self) -> None:
        assert self.runbook is not None
        for name, spec in self.runbook.meta.params.items():
            if not spec.required and spec.default is not None:
                try:
                    coerce(name, spec, spec.default)
                except InvalidInput as exc:
                    self.add(1, f"default of {exc.message}")

    def _block(self, block: Block, earlier: dict[str, Block]) -> None:
        if block.raw.get("action") == "shell" and not self.allow_shell:
            self.add(block.line, f"step {block.id} is a shell step but the front matter does "
                     "not say `allow_shell: true`")
        spec = block.step.spec if block.step is not None else None
        if isinstance(spec, AwsCall):
            self._aws(block, spec)
        for name, text in self._templated(block):
            self._references(block, name, text, earlier)

    def _aws(self, block: Block, spec: AwsCall) -> None:
        try:
            check_operation(spec.service, spec.api)
        except InvalidInput as exc:
            self.add(block.line, f"step {block.id}: {exc.message}")
        if spec.action != "aws.call" and not is_read_only(spec.api):
            self.add(block.line, f"step {block.id}: {spec.action} repeats its call, so it must "
                     f"be a read-only API (Describe…, Get…, List…), not {spec.api}")

    def _templated(self, block: Block) -> list[tuple[str, str]]:
        model = block.model
        names = (*(model.TEMPLATED if model else ()), *TEMPLATED_DURATIONS, "skip_if")
        found = [(name, text) for name in dict.fromkeys(names)
                 for _, text in strings(block.raw.get(name))]
        return [(name, text) for name, text in found if "{" in text]

    def _references(self, block: Block, name: str, text: str,
                    earlier: dict[str, Block]) -> None:
        try:
            refs = self.templates.references(text)
        except InvalidInput as exc:
            self.add(block.line, f"step {block.id} {name}: {exc.message}")
            return
        for ref in refs:
            problem = self._unresolved(ref, block, earlier)
            if problem:
                self.add(block.line, f"step {block.id} {name}: {'.'.join(ref)}: {problem}")

    def _unresolved(self, ref: tuple[str, ...], block: Block,
                    earlier: dict[str, Block]) -> str | None:
        root = ref[0]
        if root == "params":
            if self.runbook is None:
                return None  # the front matter is broken (reported): no params to judge
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
        if other is None or other is block:
            return f"no step {ref[1]!r} before this one"
        known = other.outputs()
        if ref[3] not in known:
            return f"step {ref[1]} has no output {ref[3]!r} (it has: " \
                   f"{', '.join(sorted(known)) or 'none'})"
        return None

    def _gotos(self) -> None:
        """Read from every block as written: a goto in a step with other errors is checked."""
        order = {b.id: i for i, b in enumerate(self.blocks) if b.id is not None}
        for index, block in enumerate(self.blocks):
            match = ON_FAILURE.match(str(block.raw.get("on_failure", "")))
            target = match.group("target") if match else None
            if target is None:
                continue
            if target not in order:
                self.add(block.line, f"step {block.id}: on_failure goto:{target}: no such step")
            elif order[target] <= index:
                self.add(block.line, f"step {block.id}: on_failure goto:{target}: goto jumps "
                         "forward only (a loop could run forever)")

    def _measures(self, runbook: Runbook) -> None:
        measures = runbook.meta.measures
        if measures is None:
            return
        ids = {step.id: step for step in runbook.steps}
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
