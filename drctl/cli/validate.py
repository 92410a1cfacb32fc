"""`drctl validate`: the playbook's schema, then (unless --offline) the live estate."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from drctl.cli.app import DEFAULT_PLAYBOOK
from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import print_json
from drctl.core.errors import InvalidInput, PlaybookError
from drctl.drill.live import check_drill_data
from drctl.failover.live import check_live
from drctl.failover.live_heartbeat import Findings
from drctl.playbook.loader import load_playbook, locate


def validate(
    ctx: typer.Context,
    playbook_arg: str | None = typer.Argument(
        None, metavar="PLAYBOOK", show_default=False,
        help="Playbook to check (or --playbook, as every other command takes it).  "
             f"[default: {DEFAULT_PLAYBOOK}]"),
    playbook_opt: str | None = typer.Option(None, "--playbook", "-p", metavar="FILE",
                                            help="The same as the PLAYBOOK argument."),
    offline: bool = typer.Option(False, "--offline", help="Check the file only, not AWS."),
    json_out: bool = JsonOpt,
) -> None:
    """Check a playbook: unknown keys, types, durations (file:line), then that every resource
    it names exists in AWS. Exit 2 on any problem. What a region in outage keeps from being
    checked (heartbeats it neither writes nor receives) is listed as not checked (`!`), and is
    not a problem."""
    app = app_of(ctx)
    app.json_output = json_out
    playbook = _one_playbook(playbook_arg, playbook_opt)
    book = load_playbook(playbook)
    from drctl.controller.playbooks import schedule_problems  # the controller's own checks
    from drctl.controller.runners import LoadedPlaybook

    schedules = list(schedule_problems(LoadedPlaybook(Path(playbook).resolve(), book)).values())
    found = Findings() if offline else check_live(book, app.aws, app.clock.now())
    problems = schedules + found.problems + ([] if offline else check_drill_data(book, app.aws))
    located = [f"{locate(playbook, p.loc)}: {p.message}" for p in problems]
    unchecked = [f"{locate(playbook, p.loc)}: {p.message}" for p in found.not_checked]
    if json_out:
        print_json({"playbook": playbook, "name": book.name, "valid": not problems,
                    "problems": located, "not_checked": unchecked})
    else:
        marked = [(("✗ ", "red"), line) for line in located]
        marked += [(("! ", "yellow"), line) for line in unchecked]
        for mark, line in marked:  # verbatim: never rich markup; one line each
            app.console.print(Text.assemble(mark, line), soft_wrap=True)
    if problems:  # each is listed above (or in the JSON document): not repeated here
        where = "in the JSON document" if json_out else "each listed above"
        live = len(problems) - len(schedules)
        counts = [f"{n} problem(s) {what}" for n, what in
                  ((len(schedules), "with its schedules"), (live, "with the live estate")) if n]
        raise PlaybookError(f"{playbook}: {' and '.join(counts)} ({where})")
    if not json_out:
        checked = "schema" if offline else "schema and live resources" + (
            f"; {len(unchecked)} thing(s) not checked, listed above" if unchecked else "")
        app.console.print(Text.assemble(("✓ ", "green"),
                                        f"{playbook}: {book.name} is valid ({checked})"))


def _one_playbook(argument: str | None, option: str | None) -> str:
    if argument is not None and option is not None and argument != option:
        raise InvalidInput(f"two playbooks given ({argument} and --playbook {option}): "
                           "validate checks one", hint=f"drctl validate --playbook {option}")
    return argument or option or DEFAULT_PLAYBOOK
