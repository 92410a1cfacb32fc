"""`drctl sandbox …`: the embedded AWS (moto) with the seeded Roadtrip estate, on loopback."""

from __future__ import annotations

import shlex
from typing import Any

import typer

from drctl.cli.options import JsonOpt, app_of
from drctl.cli.render import print_json
from drctl.core.durations import parse_duration
from drctl.core.errors import InvalidInput, SandboxError
from drctl.sandbox import manager
from drctl.sandbox.faults import FaultSettings
from drctl.sandbox.scaled_estate import ScaledEstate, parse_estate_size, playbook_yaml

sandbox_app = typer.Typer(
    rich_markup_mode="markdown",
    help="The embedded AWS sandbox (moto) with the Roadtrip estate.",
                          no_args_is_help=True)


LatencyOpt = typer.Option(None, "--api-latency", help="Delay every AWS API call, e.g. 50ms.")
ThrottleOpt = typer.Option(
    None, "--throttle", help="Throttle a service: route53=5/s (repeat for several).")
ErrorRateOpt = typer.Option(None, "--error-rate", help="Fail this share of calls with 5xx (0-1).")
UnavailableOpt = typer.Option(
    None, "--unavailable", metavar="SERVICE@REGION",
    help="Fail every call of a service in one region with 503, as a regional API outage: "
         "monitoring@us-east-1 (CloudWatch; signing names, as --throttle). Repeatable.")


def _faults(latency: str | None, throttle: list[str] | None, error_rate: float | None,
            unavailable: list[str] | None = None) -> dict[str, Any]:
    """Fault settings from the CLI's spellings (`50ms`, `route53=5/s`, `monitoring@us-east-1`)."""
    faults: dict[str, Any] = {"latency_ms": 0.0, "error_rate": error_rate or 0.0, "throttle": {},
                              "unavailable": list(unavailable or [])}
    if latency:
        try:
            faults["latency_ms"] = parse_duration(latency) * 1000
        except ValueError as exc:
            raise InvalidInput(f"--api-latency: {exc}") from None
    for spec in throttle or []:
        service, _, rate = spec.partition("=")
        try:
            faults["throttle"][service.strip()] = float(rate.strip().removesuffix("/s"))
        except ValueError:
            raise InvalidInput(f"--throttle {spec!r}: use SERVICE=N/s, e.g. route53=5/s") from None
        if not service.strip():
            raise InvalidInput(f"--throttle {spec!r}: use SERVICE=N/s, e.g. route53=5/s")
    return faults


def _estate_size(text: str) -> int:
    try:
        return parse_estate_size(text)
    except ValueError as exc:
        raise InvalidInput(f"--estate-size: {exc}") from None


def _lag(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"--replication-lag: {exc}") from None


@sandbox_app.command("up")
def up(
    ctx: typer.Context,
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: a free one)."),
    replication_lag: str = typer.Option("5s", "--replication-lag",
                                        help="Lag of the primary->secondary replication."),
    timeout: float = typer.Option(90.0, "--timeout", help="Seconds to wait for readiness "
                                  "(plus the replication lag)."),
    api_latency: str | None = LatencyOpt,
    throttle: list[str] | None = ThrottleOpt,
    error_rate: float | None = ErrorRateOpt,
    estate_size: str = typer.Option(
        "0", "--estate-size", metavar="N|small|medium|large",
        help="Seed N extra ECS services (over several clusters), N/10 auto scaling groups and "
             "N weighted records, for benchmarks; small=10, medium=50, large=200. "
             "`drctl sandbox playbook` prints the playbook that fails them over."),
    json_out: bool = JsonOpt,
) -> None:
    """Start the sandbox in the background; returns once it is seeded and in steady state: a
    heartbeat of us-east-1 has replicated to us-west-2 (after --replication-lag) and the alarms
    have been evaluated, so a failover or experiment run right after it measures truly.

    Fault knobs (also at runtime with `drctl sandbox faults`) put AWS's own throttling and 5xx
    errors in front of the embedded AWS: --api-latency 50ms --throttle route53=5/s
    --error-rate 0.1.
    """
    app = app_of(ctx)
    app.json_output = json_out
    faults = _faults(api_latency, throttle, error_rate)
    FaultSettings.from_dict(faults)
    size, lag = _estate_size(estate_size), _lag(replication_lag)  # bad input: before "starting"
    if not json_out:
        app.console.print("[dim]starting sandbox (moto server, seeding the Roadtrip estate, "
                          "waiting for steady state)…[/]")
    info = manager.start(app.state_dir, port=port, replication_lag=lag,
                         timeout=timeout, faults=faults, estate_size=size)
    document = manager.ground_truth(app.state_dir)
    if json_out:
        print_json(document)
        return
    app.console.print(f"[green]✓[/] sandbox ready at {info.endpoint_url} (pid {info.pid})")
    app.console.print(f"  regions: primary {info.primary}, secondary {info.secondary}")
    app.console.print(f"  steady state: a heartbeat of {info.primary} replicated to "
                      f"{info.secondary}, alarms evaluated")
    for region, url in info.apps.items():
        app.console.print(f"  app {region}: {url}")
    app.console.print(f"  replication lag: {info.replication_lag_seconds}s")
    app.console.print('  next: eval "$(drctl sandbox env)"')


@sandbox_app.command("status")
def status(ctx: typer.Context, json_out: bool = JsonOpt) -> None:
    """Is a sandbox running for this state dir? Exit 1 if not."""
    app = app_of(ctx)
    info = manager.status(app.state_dir)
    if info is None:
        raise SandboxError(f"no sandbox running (state dir {app.state_dir})",
                           hint="start one with `drctl sandbox up`")
    document = manager.ground_truth(app.state_dir)
    if json_out:
        print_json(document)
        return
    app.console.print(f"sandbox at {info.endpoint_url} (pid {info.pid}), "
                      f"lag {info.replication_lag_seconds}s")
    for region, outage in (document.get("outages") or {}).items():
        app.console.print(f"  [red]outage[/] in {region} since {outage['started_at']}")
    cut = document.get("last_cut")
    if cut:
        app.console.print(f"  last cut: {cut['from']} -> {cut['to']} at {cut['at']}, "
                          f"lost {cut['lost_seconds']} s of writes", markup=False)


@sandbox_app.command("playbook")
def playbook(ctx: typer.Context) -> None:
    """Print the playbook for the running sandbox's estate (with `--estate-size`, one that also
    fails over every generated service, group and record): `drctl sandbox playbook > big.yaml`."""
    app = app_of(ctx)
    if manager.status(app.state_dir) is None:
        raise SandboxError("no sandbox running", hint="start one with `drctl sandbox up`")
    document = manager.ground_truth(app.state_dir)
    scaled = ScaledEstate(int(document.get("estate_size") or 0))
    print(playbook_yaml(scaled), end="")


@sandbox_app.command("env")
def env(
    ctx: typer.Context,
    as_user: str | None = typer.Option(
        None, "--as", metavar="NAME",
        help="Export the keys of the seeded IAM user NAME (`approver`): a second person on "
             "this machine, e.g. to approve a failover you started."),
) -> None:
    """Shell exports pointing AWS SDKs (and drctl) at the sandbox: eval "$(drctl sandbox env)".

    `eval "$(drctl sandbox env --as approver)"` in a second shell acts as another AWS
    principal: `drctl approve RUN_ID` there counts as a second person.
    """
    app = app_of(ctx)
    info = manager.status(app.state_dir)
    if info is None:
        raise SandboxError("no sandbox running", hint="start one with `drctl sandbox up`")
    for name, value in manager.env_exports(info, as_user).items():
        print(f"export {name}={shlex.quote(value)}")


@sandbox_app.command("faults")
def faults(
    ctx: typer.Context,
    api_latency: str | None = LatencyOpt,
    throttle: list[str] | None = ThrottleOpt,
    error_rate: float | None = ErrorRateOpt,
    unavailable: list[str] | None = UnavailableOpt,
    clear: bool = typer.Option(False, "--clear", help="Remove every injected fault."),
    json_out: bool = JsonOpt,
) -> None:
    """Show, replace or clear the injected API faults of the running sandbox.

    With no option, shows the current faults and how many were injected. Options replace
    the whole set: `drctl sandbox faults --error-rate 0.2 --throttle route53=5/s`, or
    `drctl sandbox faults --unavailable monitoring@us-east-1` (that region's CloudWatch down:
    with `drctl sandbox outage --region us-east-1`, the controller's outage signal).
    """
    app = app_of(ctx)
    if clear:
        result = manager.clear_faults(app.state_dir)
    elif api_latency is None and not throttle and error_rate is None and not unavailable:
        result = manager.ground_truth(app.state_dir)["faults"]
    else:
        settings = _faults(api_latency, throttle, error_rate, unavailable)
        FaultSettings.from_dict(settings)  # a bad SERVICE@REGION is exit 2, before any call
        result = manager.set_faults(app.state_dir, **settings)
    if json_out:
        print_json(result)
        return
    throttles = ", ".join(f"{s}={r:g}/s" for s, r in result["throttle"].items()) or "none"
    down = ", ".join(result.get("unavailable") or []) or "none"
    app.console.print(f"latency {result['latency_ms']:g}ms, error rate {result['error_rate']:g}, "
                      f"throttle {throttles}, unavailable {down}; "
                      f"injected so far: {result.get('injected', {})}")


@sandbox_app.command("down")
def down(ctx: typer.Context, json_out: bool = JsonOpt) -> None:
    """Stop the sandbox this state dir started (only that process)."""
    app = app_of(ctx)
    stopped = manager.stop(app.state_dir)
    if json_out:
        print_json({"stopped": stopped, "state_dir": str(app.state_dir)})
    else:
        app.console.print("sandbox stopped" if stopped else "no sandbox was running")


@sandbox_app.command("outage")
def outage(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r",
                               help="The sandbox region to take down: us-east-1 or us-west-2."),
    json_out: bool = JsonOpt,
) -> None:
    """Take REGION down: its app answers 503 and stops writing, replication out of it stops,
    its detection alarms go to ALARM."""
    app = app_of(ctx)
    result = manager.outage(app.state_dir, region)
    if json_out:
        print_json(result)
    else:
        app.console.print(f"[red]outage[/] in {region} (started {_started(result, region)})")


@sandbox_app.command("restore")
def restore(
    ctx: typer.Context,
    region: str = typer.Option(..., "--region", "-r",
                               help="The sandbox region whose outage ends: us-east-1 or "
                                    "us-west-2."),
    json_out: bool = JsonOpt,
) -> None:
    """End the outage of REGION."""
    app = app_of(ctx)
    result = manager.restore(app.state_dir, region)
    if json_out:
        print_json(result)
    else:
        app.console.print(f"[green]restored[/] {region}")


def _started(result: dict, region: str) -> str:
    outages = result.get("outages") or {}
    return str((outages.get(region) or {}).get("started_at", "now"))
