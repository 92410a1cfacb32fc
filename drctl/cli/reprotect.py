"""`drctl reprotect`: a fresh replica of the current primary in the region the traffic left."""

from __future__ import annotations

from pathlib import Path

import typer

from drctl.cli.failure import RunInterrupted
from drctl.cli.options import JsonOpt, PlaybookOpt, app_of
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.core.interrupt import Interrupted
from drctl.failover.reprotect import plan_reprotect, resolve_reprotect, run_reprotect
from drctl.playbook.loader import load_playbook


def reprotect(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r", show_default=False,
                               help="The region that receives the new replica: the one the "
                                    "traffic left."),
    playbook: str = PlaybookOpt,
    source: str | None = typer.Option(
        None, "--source", metavar="DB_INSTANCE",
        help="The primary to replicate (default: found from the playbook's databases)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what it would do; change "
                                                           "nothing."),
    json_out: bool = JsonOpt,
) -> None:
    """Re-protect REGION after a failover or failback: replicate the current primary into it.

    The stale database under the playbook's name in REGION is kept (renamed
    `NAME-stale-YYYYmmddHHMMSS`, never deleted); a read replica of the current primary is
    created under that name; drctl waits until it replicates (RDS `ReplicaLag`). Only standby
    resources change, so nothing is asked. Journaled as a run of kind `reprotect`; after a
    crash, run it again: it continues where it stopped.

    Exit codes: 0 done, 1 failed, 2 invalid input, 4 blocked (a failover holds the playbook).
    """
    app = app_of(ctx)
    app.json_output = json_out
    app.playbook_path = playbook  # its `state:` names the store
    book = load_playbook(playbook)
    # Journaled absolute: the hint to continue it works from any shell.
    spec = resolve_reprotect(book, str(Path(playbook).resolve()), region, app.aws, source)
    if dry_run:
        changes = [c.to_dict() for c in plan_reprotect(spec, app.aws, app.clock)]
        if json_out:
            print_json({"params": spec.params(), "changes": changes})
        else:
            for c in changes:
                app.console.print(f"  {c['action']} {c['target']} in {c['region']}: "
                                  f"{c['before']} -> {c['after']}", markup=False)
            app.console.print("nothing was changed", markup=False)
        return
    try:
        run = run_reprotect(spec, app.aws, app.engine([ProgressRenderer(app.console)]))
    except Interrupted as stop:
        raise _interrupted(stop, region, playbook) from None
    if json_out:
        print_json(run.to_dict())
    else:
        render_run(app.console, run)


def _interrupted(stop: Interrupted, region: str, playbook: str) -> RunInterrupted:
    # A reprotect is not resumed by `failover --resume` (refused: not a failover) and holds
    # no lock once stopped: the way on is to run it again, and it continues.
    stop.hint = (f"run it again, it continues where it stopped: "
                 f"`drctl reprotect --region {region} --playbook {Path(playbook).resolve()}`")
    return RunInterrupted(stop)
