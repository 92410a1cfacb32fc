"""The after-run subscriber, built for a playbook: summary, notify channels, CloudWatch."""

from __future__ import annotations

import os

from drctl.cli.app import Application
from drctl.notify.channels import build_channels
from drctl.playbook.schema import Playbook
from drctl.report.after_run import AfterRun
from drctl.report.metrics import MetricsPublisher
from drctl.report.records import RunRecord, load_records


def after_run(app: Application, playbook: Playbook) -> AfterRun:
    env = dict(os.environ)
    publish = (MetricsPublisher(app.aws, playbook.primary_region)
               if playbook.metrics.cloudwatch else None)
    return AfterRun(
        app.store, app.clock,
        channels=lambda region: build_channels(playbook.notify, app.aws, region, env),
        publish=publish,
        show=lambda text: app.console.print(text, markup=False, soft_wrap=True),
        region=playbook.primary_region,
    )


def failover_history(app: Application) -> list[RunRecord]:
    return load_records(app.store, "failover")
