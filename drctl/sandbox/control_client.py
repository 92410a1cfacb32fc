"""The client side of the sandbox control API (see `drctl.sandbox.control`)."""

from __future__ import annotations

from typing import Any

import httpx

from drctl.core.errors import InvalidInput, SandboxError

# Paths under this prefix never reach moto; no AWS API uses it.
CONTROL_PREFIX = "/_sandbox/"


class ControlClient:
    """Calls `/_sandbox/...` on a sandbox endpoint. A 400 becomes InvalidInput; anything else
    that is not a JSON object with 200 becomes SandboxError."""

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self._base = endpoint_url.rstrip("/") + CONTROL_PREFIX
        self._timeout = timeout

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, None)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = self._base + path
        try:
            # trust_env=False: a proxy from the environment must not see loopback control calls.
            with httpx.Client(timeout=self._timeout, trust_env=False) as client:
                reply = client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise SandboxError(f"the sandbox at {url} does not answer: {exc}") from exc
        document = _json_object(reply)
        if reply.status_code == 400:
            raise InvalidInput(str(document.get("error", reply.text)))
        if reply.status_code != 200:
            raise SandboxError(
                f"the sandbox answered {reply.status_code} to {method} {url}: "
                f"{document.get('error', reply.text)}"
            )
        return document


def _json_object(reply: httpx.Response) -> dict[str, Any]:
    try:
        document = reply.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
