"""What `drctl failover` and `drctl plan` do, imported when one of them runs: their options
are declared in drctl/cli/failover.py, which imports nothing heavy, so `--help` stays cheap."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.markup import escape

from drctl.cli.after_run import after_run, failover_history
from drctl.cli.app import DEFAULT_PLAYBOOK, Application
from drctl.cli.failover import FailoverArgs
from drctl.cli.failure import RunInterrupted
from drctl.cli.render import ProgressRenderer, print_json, render_run
from drctl.core.crashpoints import crash_subscriber
from drctl.core.durations import parse_duration
from drctl.core.engine import Engine, Subscriber
from drctl.core.errors import Blocked, DrctlError, InvalidInput
from drctl.core.interrupt import Interrupted
from drctl.core.operator import ConsoleOperator
from drctl.core.operator_time import parse_operator_time
from drctl.core.run import Run
from drctl.failover.catch_up import wait_hint
from drctl.failover.playbook_record import playbook_for_resume, unreadable
from drctl.failover.preflight import only_lag_blocks
from drctl.failover.reprotect import resolve_reprotect, run_reprotect
from drctl.failover.runner import (
    FailoverPlan,
    plan_failover,
    resolve_spec,
    resume_failover,
    run_failover,
)
from drctl.failover.spec import FailoverDeps, FailoverOptions, FailoverSpec
from drctl.notify.channels import build_channels
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook
from drctl.store.base import load_run


def _deps(app: Application, playbook: Playbook) -> FailoverDeps:
    env = dict(os.environ)
    return FailoverDeps(
        aws=app.aws, clock=app.clock, operator=ConsoleOperator(),
        channels=lambda target: build_channels(playbook.notify, app.aws, target, env,
                                               console=_plain(app), http=app.http),
        history=lambda: failover_history(app), http=app.http,
    )


def _engine(app: Application) -> Engine:
    subscribers: list[Subscriber] = [ProgressRenderer(app.console)]
    crash = crash_subscriber()
    if crash is not None:
        subscribers.append(crash)
    return app.engine(subscribers)


def _plain(app: Application) -> Callable[[str], None]:
    """Print text as is (a notification may contain [brackets] that are not markup), unwrapped
    (the commands it names stay whole, to copy)."""
    console = app.console
    return lambda text: console.print(text, markup=False, soft_wrap=True)


# An incident older than this is not the start of the failover being run now.
INCIDENT_MAX_AGE = timedelta(days=7)


def _incident_start(text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    return parse_operator_time(text, option="--incident-start", now=now,
                               max_age=INCIDENT_MAX_AGE)


def _wait(text: str | None) -> float:
    if text is None:
        return 0.0
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"--wait-for-replication: {exc}") from None
    if seconds <= 0:
        raise InvalidInput(f"--wait-for-replication must be more than zero, not {text!r}")
    return seconds


def failover(app: Application, args: FailoverArgs) -> None:
    """The body of `drctl failover` (drctl/cli/failover.py declares its options)."""
    region, playbook, resume, json_out = args.region, args.playbook, args.resume, args.json_out
    app.json_output = json_out
    started = _incident_start(args.incident_start, app.clock.now())
    options = FailoverOptions(yes=args.yes, incident_start=started, force=args.force,
                              approval=args.approval, takeover=args.takeover,
                              wait_replication=_wait(args.wait_replication))
    if (region is None) == (resume is None):
        raise InvalidInput("give exactly one of --region TARGET or --resume RUN_ID")
    if resume is not None and playbook is not None:
        _readable(resume, playbook)  # before its `state:` is looked for: say what to give
    # Its `state:` names the store (a resume without --playbook: the default playbook's).
    app.playbook_path = playbook or (DEFAULT_PLAYBOOK if resume is None else None)
    engine = _engine(app)
    if not args.dry_run:
        _local_lock_note(app)
    try:
        if resume is not None:
            resumed = load_run(app.store, resume)
            path = playbook_for_resume(resumed.run_id, resumed.params, playbook,
                                       restore_dir=_restored_playbooks(app))
            book = load_playbook(path)
            deps = _deps(app, book)
            engine.subscribers.append(after_run(app, book))
            run = resume_failover(resumed.run_id, deps, engine, options, load_playbook, path)
        else:
            assert region is not None
            playbook = playbook or DEFAULT_PLAYBOOK
            book = load_playbook(playbook)
            deps = _deps(app, book)
            if args.dry_run:
                spec, active = resolve_spec(book, playbook, region, deps, options)
                _show_plan(app, spec, deps, active, json_out)
                return
            engine.subscribers.append(after_run(app, book))
            run = run_failover(book, playbook, region, deps, engine, options)
    except DrctlError as exc:
        _print_ended(app, exc.run_id, json_out)
        exc.hint = _with_store(app, exc.hint)
        raise
    except Interrupted as stop:
        _print_ended(app, stop.run_id, json_out)
        interrupted = RunInterrupted(stop)
        interrupted.hint = _with_store(app, interrupted.hint)
        raise interrupted from None
    after = _reprotect_after(app, book, run)
    if json_out:
        print_json({**run.to_dict(), **({"reprotect": after} if after else {})})
    else:
        render_run(app.console, run)


def _readable(run_id: str, playbook: str) -> None:
    try:
        Path(playbook).read_bytes()
    except OSError as exc:
        raise unreadable(run_id, playbook, exc) from None


def _restored_playbooks(app: Application) -> Path:
    """Where a resume writes the journaled copy of a playbook whose file is gone."""
    assert app.journal_dir is not None
    return app.journal_dir / "playbooks"


def _local_lock_note(app: Application) -> None:
    """Say plainly that a lock in a local journal stops nobody on another machine."""
    if app.store_url.startswith("sqlite://"):
        journal = app.store_url.removeprefix("sqlite://")
        app.console.print(
            f"note: the failover lock is in the local journal {journal}: it covers this "
            "machine only. So that operators elsewhere are refused too, name a shared store "
            "in the playbook (state: dynamodb://TABLE?region=R) or pass --state.",
            markup=False, soft_wrap=True)


def _with_store(app: Application, hint: str | None) -> str | None:
    """The commands in a hint name the store when the playbook chose it: `drctl runs abort`
    or `approve` read no playbook, so they would look in another journal."""
    shared = app.playbook_state if app.state_url is None else None
    if not hint or not shared:
        return hint
    return hint.replace("`drctl ", f"`drctl --state '{shared}' ")


def _print_ended(app: Application, run_id: str | None, json_out: bool) -> None:
    """With --json, a run that ended in an error is printed: the run object, its `error`."""
    if json_out and run_id:
        print_json(load_run(app.store, run_id).to_dict())


def _reprotect_after(app: Application, book: Playbook, run: Run) -> dict[str, Any] | None:
    """The playbook's opt-in (scale.rds_promote.reprotect): re-protect the region left. Its
    failure does not undo the failover; it says what to run once that region is back."""
    promote = book.scale.rds_promote
    left = str(run.params.get("failed_region", ""))
    if promote is None or not promote.reprotect or left not in promote.replicas:
        return None
    command = f"drctl reprotect --region {left} --playbook {run.params.get('playbook_path')}"
    try:
        spec = resolve_reprotect(book, str(run.params.get("playbook_path")), left, app.aws)
        done = run_reprotect(spec, app.aws, app.engine([ProgressRenderer(app.console)]))
    except DrctlError as exc:
        app.console.print(f"reprotect of {left} failed: {exc}; run `{command}` when {left} "
                          "is back", markup=False)
        return {"ok": False, "error": str(exc), "hint": command}
    return {"ok": True, "run_id": done.run_id}


def plan(app: Application, region: str, playbook: str, json_out: bool) -> None:
    """The body of `drctl plan`."""
    app.json_output = json_out
    app.playbook_path = playbook
    book = load_playbook(playbook)
    deps = _deps(app, book)
    spec, active = resolve_spec(book, playbook, region, deps, FailoverOptions())
    _show_plan(app, spec, deps, active, json_out)


def _show_plan(app: Application, spec: FailoverSpec, deps: FailoverDeps, active: list[str],
               json_out: bool) -> None:
    """Print the plan; exit 4 (Blocked) when a pre-flight check would block the failover."""
    result = plan_failover(spec, deps, active)
    if json_out:
        print_json(result.to_dict())
    else:
        _print_plan(app, spec, result)
    blocking = [c for c in result.preflight if c.blocks(spec.options.force)]
    if blocking:
        waiting = wait_hint(spec, spec.playbook.confirmation.timeout) \
            if only_lag_blocks(blocking) else None
        raise Blocked("a failover now would be blocked by pre-flight: "
                      + "; ".join(f"{c.name}: {c.detail}" for c in blocking),
                      hint=waiting or next((c.hint for c in blocking if c.hint),
                                           "fix the target region first (or fail over with "
                                           "--force)"))


def _print_plan(app: Application, spec: FailoverSpec, result: FailoverPlan) -> None:
    console = app.console
    console.print(f"[bold]Failover plan[/]: {escape(spec.playbook.name)}, traffic "
                  f"{spec.failed_region} -> {spec.target_region} "
                  f"(active now: {', '.join(result.active_regions)})")
    if spec.finishing:
        console.print(f"  {spec.target_region} already takes the traffic but is not at "
                      "production capacity: the failover finishes the job (DNS left as is)")
    for change in result.changes:
        where = f"in {change.region}" if change.region else "in Route53 (global)"
        console.print(f"  {change.step:16} {change.action} {escape(change.target)} "
                      f"{where}: {escape(str(change.before))} -> {escape(str(change.after))}")
    console.print("  then: smoke tests against "
                  f"{escape(spec.endpoint)}, notify {len(spec.playbook.notify)} channel(s)")
    console.print("[bold]Pre-flight[/] (checked again before the switch):")
    for check in result.preflight:
        mark = "[green]ok[/]" if check.ok else (
            "[yellow]warning[/]" if check.severity == "advisory" else "[red]FAILED[/]")
        console.print(f"  {check.name:20} {mark}  {escape(check.detail)}")
        if not check.ok and check.hint:
            console.print(f"  {'':20} way out: {escape(check.hint)}")
    console.print("[dim]nothing was changed[/]")
