"""The one place where boto3 clients are built.

Standard credential chain, optional profile, a region per client, the endpoint from the standard
`AWS_ENDPOINT_URL` variable (botocore reads it itself: that is how the sandbox and chaostoolkit-aws
are pointed at the same embedded AWS), and adaptive retries.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import structlog

from drctl.aws import retry_log
from drctl.core.errors import InvalidInput

if TYPE_CHECKING:
    from botocore.config import Config

log = structlog.get_logger("drctl.aws")

# boto3 and botocore are imported when the first factory is built, not with this module:
# `drctl failover --help` (and every command's help) imports the command's module, and with
# it this one, but needs no client (0.3 s of CPU saved; tests/unit/test_cli_lazy.py).
RETRY_OPTIONS: dict[str, Any] = {
    "retries": {"mode": "adaptive", "max_attempts": 8},
    "connect_timeout": 5,
    "read_timeout": 30,
    # Scaling a large estate and segmented scans use up to 32 threads per client; urllib3's
    # default pool of 10 would discard (and re-open) connections under that.
    "max_pool_connections": 32,
}


def fail_fast_factory(profile: str | None = None) -> ClientFactory:
    """Clients that try twice, for reads polled again soon anyway (the controller's alarm
    watch): a region whose API is down must not hold a poll for the ~30 s of nine adaptive
    attempts -- that delay would be added to the detection latency."""
    from botocore.config import Config

    return ClientFactory(profile, Config(**{**RETRY_OPTIONS, "read_timeout": 10, "retries": {
        "mode": "standard", "total_max_attempts": 2}}))


class ClientFactory:
    """Builds and caches boto3 clients per (service, region). Thread-safe.

    The boto3 session is made with the first client: a command that opens no client (the
    help, `runs list` on the SQLite journal) imports no boto3. An unknown `profile` is
    InvalidInput (exit 2) from that first client."""

    def __init__(
        self, profile: str | None = None, config: Config | None = None,
        user_agent_extra: str | None = None,
    ) -> None:
        self._profile = profile
        self._given_config = config
        self._user_agent_extra = user_agent_extra
        self._session: Any = None
        self._config: Config | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                # Typed as Any: adapters are the typed layer over boto3's dynamic clients.
                session = self._session or self._start()
                client = session.client(service, region_name=region, config=self._config)
                retry_log.register(client)
                client.meta.events.register("before-call.*", _log_call)
                self._clients[key] = client
            return self._clients[key]

    def _start(self) -> Any:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ProfileNotFound

        config = self._given_config or Config(**RETRY_OPTIONS)
        if self._user_agent_extra:
            config = config.merge(Config(user_agent_extra=self._user_agent_extra))
        try:
            self._session = boto3.session.Session(profile_name=self._profile)
        except ProfileNotFound:
            raise InvalidInput(f"--profile {self._profile}: no such AWS profile",
                               hint="name a profile of ~/.aws/config or ~/.aws/credentials, "
                                    "or leave --profile out") from None
        self._config = config
        return self._session


# Where a service's IAM action prefix differs from its signing name.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
# Where the IAM action differs from the API operation's name (S3 names most by what they do).
_IAM_ACTION = {
    "s3:HeadObject": "s3:GetObject", "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:ListObjectsV2": "s3:ListBucket", "s3:GetBucketReplication":
    "s3:GetReplicationConfiguration", "s3:CopyObject": "s3:PutObject",
    "s3:DeleteObjects": "s3:DeleteObjectVersion", "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:HeadBucket": "s3:ListBucket",
}


def _log_call(**kwargs: Any) -> None:
    """Debug-log every AWS call as IAM names it (`ecs:UpdateService`): `-vv` shows what a
    run did, and the test-suite checks `drctl iam-policy` against it."""
    model = kwargs.get("model")
    if model is not None:
        signing = model.service_model.signing_name
        action = f"{_IAM_PREFIX.get(signing, signing)}:{model.name}"
        log.debug("aws_call", action=_IAM_ACTION.get(action, action))
