"""Every `drctl` step of the shipped runbooks is a command line drctl accepts (its command,
options and arguments parsed by the real CLI, nothing run), rendered with the runbook's
default params, `--json` added as the step adds it. The end-to-end runs (tests/e2e) show the
sub-runs happen; this shows, at unit speed, that no shipped runbook calls drctl wrongly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from drctl.cli.main import app
from drctl.runbook.actions.process import Drctl
from drctl.runbook.load import load_runbook
from drctl.runbook.templates import Templates

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in (ROOT / "runbooks").glob("*.md") if p.name != "README.md")


def parse(argv: list[str]) -> Any:
    """The click context drctl would run `argv` in (UsageError when it would refuse it)."""
    command: Any = typer.main.get_command(app)
    ctx = command.make_context("drctl", list(argv))
    while hasattr(command, "resolve_command"):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:  # a group that runs itself (`drctl drill --kind …`)
            break
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def drctl_steps() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in SHIPPED:
        runbook = load_runbook(path)
        defaults = {name: spec.default for name, spec in runbook.meta.params.items()}
        for step in runbook.steps:
            if isinstance(step.spec, Drctl):
                words = [str(w) for w in Templates().render(step.spec.command,
                                                            {"params": defaults})]
                found.append((path.name, step.id,
                              [*words, *(["--json"] if step.spec.json_output else [])]))
    return found


@pytest.mark.parametrize(("runbook", "step", "argv"), drctl_steps(),
                         ids=[f"{r}:{s}" for r, s, _ in drctl_steps()])
def test_a_shipped_drctl_step_is_a_command_drctl_accepts(runbook: str, step: str,
                                                         argv: list[str]) -> None:
    ctx = parse(argv)
    assert ctx.command.name in argv[:2]
    if "--json" in argv:  # the step reads the sub-run from the command's JSON document
        assert ctx.params["json_out"] is True


def test_the_parse_refuses_what_drctl_refuses() -> None:
    with pytest.raises(typer._click.exceptions.UsageError, match="No such option: --kindd"):
        parse(["drill", "--kindd", "pitr"])
    with pytest.raises(typer._click.exceptions.UsageError, match="No such command"):
        parse(["chaos", "rnu", "x.json"])


def test_every_shipped_runbook_that_runs_drctl_is_checked() -> None:
    assert {runbook for runbook, _, _ in drctl_steps()} == {
        "chaos-gameday.md", "region-failover.md", "failback.md"}
