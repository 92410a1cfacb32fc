"""`drctl controller`: the long-lived process. This command owns the signals; the library
only offers `request_stop()`."""

from __future__ import annotations

import signal
from types import FrameType

import structlog
import typer

from drctl.cli.app import DEFAULT_PLAYBOOK
from drctl.cli.logs import configure_logging
from drctl.cli.options import app_of
from drctl.cli.signals import SIGNALS, request_for
from drctl.controller.build import ControllerOptions, build_controller
from drctl.controller.daemon import Daemon
from drctl.controller.health import parse_listen
from drctl.controller.playbooks import load_served
from drctl.controller.store_check import require_store_table
from drctl.core.commands import use_store
from drctl.core.durations import parse_duration
from drctl.core.errors import InvalidInput
from drctl.core.interrupt import Interruption

log = structlog.get_logger("drctl.controller")


def controller(
    ctx: typer.Context,
    playbook: list[str] = typer.Option(
        [DEFAULT_PLAYBOOK], "--playbook", "-p", show_default=True,
        help="Playbook file, or a directory of them; repeat for several."),
    once: bool = typer.Option(False, "--once", help="Run one tick, wait for what it started, "
                              "and exit."),
    log_format: str = typer.Option("json", "--log-format", help="json (default) or console."),
    workers: int = typer.Option(4, "--workers", min=1, help="Runs executed at once."),
    listen: str | None = typer.Option(
        None, "--listen", metavar="[HOST:]PORT",
        help="Serve /healthz and /metrics (host default 127.0.0.1, e.g. --listen 9464)."),
    lease_ttl: str = typer.Option(
        "15s", "--lease-ttl", help="Leader lease TTL: another controller on the same store "
        "takes over once the dead leader's lease runs out (it tries every quarter of the TTL)."),
) -> None:
    """Run the controller in the foreground: every playbook's schedules (chaos experiments and
    drills), through the same guards as manual runs, journaled with their trigger.

    Logs are JSON lines on stderr, each bound to `run_id` and `schedule`. SIGTERM or Ctrl-C
    stops it cleanly: no new run starts, the runs in progress are stopped and journaled (a
    failover `interrupted`, to be resumed; a drill cleans up; chaos rolls back), exit 0. A
    controller that does not lead (another one does) runs nothing and logs `following`.
    A playbook that does not load is reported and the others are served; exit 2 if none can be.
    """
    if log_format not in ("json", "console"):
        raise InvalidInput(f"--log-format {log_format!r}: use json or console")
    configure_logging(1, json_lines=log_format == "json")
    app = app_of(ctx)
    served = load_served(playbook)
    for problem in served.problems:
        log.error("not_served", problem=problem)
    options = ControllerOptions(workers, parse_duration_option(lease_ttl, "--lease-ttl"),
                                parse_listen(listen) if listen else None)
    require_store_table(app.store_url, app.aws.factory,
                        [r for b in served.playbooks.values() for r in b.playbook.regions],
                        _arguments(playbook, once, log_format, workers, listen, lease_ttl))
    built = build_controller(served, app, options)
    if built.health is not None:
        built.health.start()
    built.start_listeners()
    log.info("controller_started", playbooks=sorted(served.playbooks),
             schedules=[job.key for job in served.jobs], store=app.store_url, once=once,
             listen="{}:{}".format(*built.health.address) if built.health else None)
    _stop_on_signals(built.daemon, app.interrupt)
    # Every command it tells a channel reaches its shared store, wherever the reader is
    # (given by --state or by the playbook's `state:`); a local journal is nobody else's.
    use_store(app.store_url if app.store_url.startswith("dynamodb://") else None)
    try:
        built.daemon.run(once=once)
    finally:
        use_store(None)
        built.stop_listeners()
        if built.health is not None:
            built.health.stop()
        log.info("controller_stopped")


def _stop_on_signals(daemon: Daemon, port: Interruption) -> None:
    """Unlike other commands, nothing is raised into the main thread: the loop stops taking
    fires, and the runs in progress are stopped through the port (a failover is journaled
    `interrupted`, to be resumed; a drill cleans up; chaos rolls back)."""
    def handle(signum: int, _frame: FrameType | None) -> None:
        daemon.request_stop(request_for(port, signum).reason)

    for signum in SIGNALS:
        signal.signal(signum, handle)


def _arguments(playbook: list[str], once: bool, log_format: str, workers: int,
               listen: str | None, lease_ttl: str) -> list[str]:
    """This controller's arguments, as a hint that runs it again repeats them."""
    given = [arg for path in playbook for arg in ("--playbook", path)]
    given += ["--once"] if once else []
    given += ["--log-format", log_format] if log_format != "json" else []
    given += ["--workers", str(workers)] if workers != 4 else []
    given += ["--listen", listen] if listen else []
    return given + (["--lease-ttl", lease_ttl] if lease_ttl != "15s" else [])


def parse_duration_option(text: str, option: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {exc}") from None
    if seconds <= 0:
        raise InvalidInput(f"{option}: must be more than 0")
    return seconds
