"""The WSGI layer in front of moto: the sandbox's control API, and the place faults will go.

Every request passes through an ordered chain of interceptors before it reaches moto. An
interceptor either answers the request itself (the control API answers `/_sandbox/...`) or passes
it on by returning None. Fault injection -- latency, throttling, 5xx per service -- is one more
interceptor in this chain, so what a client sees from the embedded AWS is decided in one place.

Control API (JSON in, JSON out; errors are `{"error": message}` with 400 or 500):

    GET  /_sandbox/state                               the state document
    POST /_sandbox/outage       {"region": R}          region R goes down
    POST /_sandbox/restore      {"region": R}          region R comes back
    POST /_sandbox/replication  {"lag_seconds": X}     change the replication lag
    POST /_sandbox/faults       {"latency_ms", "error_rate", "throttle": {service: rps}}
    POST /_sandbox/faults/clear                        remove every injected fault
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import structlog
from werkzeug.wrappers import Request, Response

from drctl.core.errors import InvalidInput
from drctl.sandbox.control_client import CONTROL_PREFIX

log = structlog.get_logger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Interceptor = Callable[[Request], Response | None]


class SandboxControl(Protocol):
    """What the control API can ask of the running sandbox. Each returns the new state document;
    each raises InvalidInput for a request that cannot be honoured (unknown region, bad lag)."""

    def document(self) -> dict[str, Any]: ...

    def outage(self, region: str) -> dict[str, Any]: ...

    def restore(self, region: str) -> dict[str, Any]: ...

    def set_replication_lag(self, seconds: float) -> dict[str, Any]: ...

    def set_faults(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def clear_faults(self) -> dict[str, Any]: ...


class SandboxMiddleware:
    """Runs the interceptors in order; the first to answer wins, otherwise moto answers, and
    then each `after` hook sees the request before the caller gets moto's answer."""

    def __init__(self, backend: WSGIApp, interceptors: list[Interceptor],
                 after: list[Callable[[Request], None]] | None = None) -> None:
        self._backend = backend
        self._interceptors = interceptors
        self._after = after or []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        for intercept in self._interceptors:
            response = intercept(request)
            if response is not None:
                return response(environ, start_response)
        answer = self._backend(environ, start_response)
        for hook in self._after:
            hook(request)
        return answer


class ControlApi:
    """The interceptor that answers `/_sandbox/...` and leaves every other path to moto."""

    def __init__(self, sandbox: SandboxControl) -> None:
        self._sandbox = sandbox
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
            ("GET", "state"): lambda _: sandbox.document(),
            ("POST", "outage"): lambda body: sandbox.outage(_field(body, "region", str)),
            ("POST", "restore"): lambda body: sandbox.restore(_field(body, "region", str)),
            ("POST", "replication"): lambda body: sandbox.set_replication_lag(
                _field(body, "lag_seconds", (int, float))
            ),
            ("POST", "faults"): sandbox.set_faults,
            ("POST", "faults/clear"): lambda _: sandbox.clear_faults(),
        }

    def __call__(self, request: Request) -> Response | None:
        if not request.path.startswith(CONTROL_PREFIX):
            return None
        route = self._routes.get((request.method, request.path[len(CONTROL_PREFIX) :].rstrip("/")))
        if route is None:
            return _json({"error": f"no control endpoint {request.method} {request.path}"}, 404)
        try:
            return _json(route(_body(request)), 200)
        except InvalidInput as exc:
            return _json({"error": exc.message}, 400)
        except Exception as exc:  # the control API must answer, even when the sandbox fails
            log.exception("control_request_failed", path=request.path)
            return _json({"error": f"{type(exc).__name__}: {exc}"}, 500)


def _body(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return {}
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"request body needs {name!r}, got {value!r}")
    return value


def _json(document: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")
