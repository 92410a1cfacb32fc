"""The one place where boto3 clients are built.

Standard credential chain, optional profile, a region per client, the endpoint from the standard
`AWS_ENDPOINT_URL` variable (botocore reads it itself: that is how the sandbox and chaostoolkit-aws
are pointed at the same embedded AWS), and adaptive retries.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 8},
    connect_timeout=5,
    read_timeout=30,
)


class ClientFactory:
    """Builds and caches boto3 clients per (service, region). Thread-safe."""

    def __init__(self, profile: str | None = None, config: Config | None = None) -> None:
        self._session = boto3.session.Session(profile_name=profile)
        self._config = config or RETRY_CONFIG
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service, region_name=region, config=self._config  # type: ignore[call-overload]
                )
            return self._clients[key]
