"""Each region's "Roadtrip API": a health endpoint and, while it takes the traffic, a heartbeat
writer and a media writer (one object version a second in the region's bucket).

The heartbeat is the RPO canary: one item per writer, overwritten every second with the wall-clock
time of the write. The replicator copies it to the other region with the injected lag, so after an
outage the difference between the two regions' `written_at` is the data the outage lost.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from drctl.sandbox.conditions import Conditions
from drctl.sandbox.estate import HEARTBEATS_TABLE, media_bucket, media_canary_key

log = structlog.get_logger(__name__)


class _AppServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, region: str, conditions: Conditions) -> None:
        super().__init__(("127.0.0.1", 0), _HealthHandler)
        self.region = region
        self.conditions = conditions


class _HealthHandler(BaseHTTPRequestHandler):
    server: _AppServer

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/health":
            self._reply(404, {"error": "not found"})
        elif self.server.conditions.is_down(self.server.region):
            self._reply(503, {"region": self.server.region, "status": "unavailable"})
        else:
            self._reply(200, {"region": self.server.region, "status": "ok"})

    def _reply(self, status: int, body: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # Route53-style probes arrive twice a second; the supervisor log is for events.
        pass


class RegionalApp:
    """One region's HTTP app on a free loopback port, answering 503 while its region is down."""

    def __init__(self, region: str, conditions: Conditions) -> None:
        self.region = region
        self._server = _AppServer(region, conditions)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name=f"app-{region}", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _WhileActive:
    """Does `write_once()` every `interval` seconds while its region takes the traffic.

    Writes are scheduled on a fixed grid (not "sleep 1 s after each write") so that the age of
    the newest write is bounded by the interval, and paused while the region is down.
    """

    name = "writer"

    def __init__(self, region: str, conditions: Conditions, interval: float = 1.0) -> None:
        self.region = region
        self._conditions = conditions
        self._interval = interval
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-{region}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def write_once(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            # Under the switch lock: a beat is written before a cut or not at all, so the
            # cut's ground truth (the newest write of the old region) is exact.
            with self._conditions.switching():
                if self._conditions.active == self.region and not self._conditions.is_down(
                    self.region
                ):
                    self._seq += 1
                    self.write_once()
            next_at += self._interval
            # After a long stall, skip the missed beats rather than writing a burst.
            next_at = max(next_at, time.monotonic())
            self._stop.wait(next_at - time.monotonic())


class HeartbeatWriter(_WhileActive):
    """Overwrites `{writer: region}` in the region's heartbeat table every second."""

    name = "heartbeat"

    def __init__(
        self, region: str, dynamodb: Any, conditions: Conditions, interval: float = 1.0,
        on_write: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__(region, conditions, interval)
        self._on_write = on_write  # the replicator, told of every beat (no beat is missed)
        self._dynamodb = dynamodb

    def write_once(self) -> None:
        item = {
            "writer": self.region,
            "written_at": Decimal(f"{time.time():.3f}"),
            "seq": self._seq,
        }
        attributes = _to_attributes(item)
        try:
            self._dynamodb.put_item(TableName=HEARTBEATS_TABLE, Item=attributes)
        except Exception as exc:  # a missed beat is data, not a crash: keep beating
            log.warning("heartbeat_write_failed", region=self.region, error=str(exc))
            return
        if self._on_write is not None:
            self._on_write(HEARTBEATS_TABLE, attributes)


class MediaWriter(_WhileActive):
    """Overwrites the region's canary object in its media bucket every second: one new object
    version a second, replicated like any other, so the S3 recovery point is measurable."""

    name = "media"

    def __init__(self, region: str, s3: Any, conditions: Conditions,
                 interval: float = 1.0) -> None:
        super().__init__(region, conditions, interval)
        self._s3 = s3

    def write_once(self) -> None:
        body = json.dumps({"writer": self.region, "seq": self._seq,
                           "written_at": round(time.time(), 3)})
        try:
            self._s3.put_object(Bucket=media_bucket(self.region),
                                Key=media_canary_key(self.region), Body=body.encode(),
                                ContentType="application/json")
        except Exception as exc:  # a missed write is data, not a crash
            log.warning("media_write_failed", region=self.region, error=str(exc))


def _to_attributes(item: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Plain values to DynamoDB's wire format (strings and numbers are all the sandbox writes)."""
    attributes: dict[str, dict[str, str]] = {}
    for name, value in item.items():
        if isinstance(value, str):
            attributes[name] = {"S": value}
        else:
            attributes[name] = {"N": str(value)}
    return attributes
