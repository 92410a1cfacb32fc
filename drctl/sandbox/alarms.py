"""The alarm evaluator: moto stores alarms but never evaluates them.

Every half second each region's detection alarms are set from its app's health, probed over HTTP
like a load balancer would: ALARM when `/health` does not answer 200, OK when it does. A state is
written only on a transition, so moto's `StateUpdatedTimestamp` and alarm history mean what they
mean on AWS, and an alarm set by hand (a chaos experiment, a test) stays until health changes.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from typing import Any

import structlog

from drctl.sandbox.estate import detection_alarms
from drctl.sandbox.periodic import Periodic

log = structlog.get_logger(__name__)

# Loopback probes must never go through an HTTP proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

OK, ALARM = "OK", "ALARM"


class AlarmEvaluator(Periodic):
    """Sets `detection_alarms(region)` from the health of each region's app."""

    name = "alarm-evaluator"

    def __init__(
        self,
        cloudwatch: dict[str, Any],
        app_urls: dict[str, str],
        interval: float = 0.5,
        probe_timeout: float = 1.0,
    ) -> None:
        super().__init__(interval)
        self._cloudwatch = cloudwatch
        self._app_urls = app_urls
        self._probe_timeout = probe_timeout
        # The seed leaves every alarm in OK; only changes from here on are written.
        self._states = dict.fromkeys(app_urls, OK)
        self._lock = threading.Lock()
        self.rounds = 0  # evaluations done: alarm states mean something once this is > 0

    def tick(self) -> None:
        self.evaluate()

    def evaluate(self) -> dict[str, str]:
        """One evaluation round, now. Called synchronously when an outage is declared so that
        the ALARM transition is stamped at the outage start, not up to an interval later."""
        with self._lock:
            for region, url in self._app_urls.items():
                state = OK if self._healthy(url) else ALARM
                if state != self._states[region]:
                    self._set_state(region, state)
            self.rounds += 1
            return dict(self._states)

    def _set_state(self, region: str, state: str) -> None:
        reason = "Regional app healthy" if state == OK else "Regional app failing health checks"
        for alarm in detection_alarms(region):
            self._cloudwatch[region].set_alarm_state(
                AlarmName=alarm, StateValue=state, StateReason=f"{reason} (drctl sandbox)"
            )
        self._states[region] = state
        log.info("alarm_transition", region=region, state=state)

    def _healthy(self, base_url: str) -> bool:
        try:
            with _DIRECT.open(f"{base_url}/health", timeout=self._probe_timeout) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

