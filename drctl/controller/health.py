"""`--listen`: /healthz (JSON) and /metrics (Prometheus text), on loopback unless told otherwise.

/healthz answers 200 while the loop ticks and 503 once its last tick is older than `stale`
(a wedged controller must fail its health check, not report yesterday's state).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from drctl.core.errors import InvalidInput

Health = Callable[[], tuple[bool, dict[str, Any]]]   # (healthy, document)


def parse_listen(text: str) -> tuple[str, int]:
    """`PORT`, `:PORT` or `HOST:PORT`; the host defaults to 127.0.0.1. InvalidInput otherwise."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise InvalidInput(f"--listen {text!r}: use PORT or HOST:PORT (e.g. 127.0.0.1:9464)"
                           ) from None
    if not 0 <= number <= 65535:
        raise InvalidInput(f"--listen {text!r}: port out of range")
    return host or "127.0.0.1", number


class HealthServer:
    def __init__(self, listen: tuple[str, int], health: Health,
                 metrics: Callable[[], bytes]) -> None:
        handler = _handler(health, metrics)
        try:
            self._server = ThreadingHTTPServer(listen, handler)
        except OSError as exc:
            raise InvalidInput(f"--listen {listen[0]}:{listen[1]}: {exc.strerror}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="drctl-health")

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(health: Health, metrics: Callable[[], bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                healthy, document = health()
                self._reply(200 if healthy else 503, "application/json",
                            json.dumps(document, default=str).encode())
            elif path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, metrics())
            else:
                self._reply(404, "text/plain", b"not found: try /healthz or /metrics\n")

        def _reply(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # scrapes every few seconds would drown the controller's own log

    return Handler
