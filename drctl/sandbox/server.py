"""The embedded AWS: moto's server application behind the sandbox middleware, on loopback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request

from drctl.sandbox.control import Interceptor, SandboxMiddleware

HOST = "127.0.0.1"


class MotoServer:
    """moto's multi-service WSGI app, served threaded on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(self, port: int, interceptors: list[Interceptor],
                 after: list[Callable[[Request], None]] | None = None) -> None:
        app = SandboxMiddleware(DomainDispatcherApplication(create_backend_app), interceptors,
                                after)
        # Werkzeug logs every request at INFO; the replicator alone makes ten a second.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server: BaseWSGIServer = make_server(
            HOST, port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="moto-server", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
