"""The names of the seeded Roadtrip-Copilot estate.

`playbooks/roadtrip.yaml` and the e2e tests name these resources, so they are part of the sandbox's
contract: change one here and you change what every sandbox user relies on.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIMARY = "us-east-1"
SECONDARY = "us-west-2"
REGIONS = (PRIMARY, SECONDARY)

ZONE_NAME = "roadcopilot.com"
API_RECORD = "api.roadcopilot.com"
RECORD_TTL = 60
API_WEIGHTS = {PRIMARY: 100, SECONDARY: 0}

CLUSTER = "roadtrip"
SERVICE_COUNTS = {
    PRIMARY: {"api": 6, "voice": 3, "poi-sync": 2},
    # Warm standby: one task of each service, scaled up by a failover.
    SECONDARY: {"api": 1, "voice": 1, "poi-sync": 1},
}

WORKERS_ASG = "roadtrip-workers"
WORKERS_LAUNCH_TEMPLATE = "roadtrip-workers"


@dataclass(frozen=True)
class GroupSize:
    min_size: int
    max_size: int
    desired: int


WORKERS_SIZES = {PRIMARY: GroupSize(4, 12, 4), SECONDARY: GroupSize(1, 12, 1)}

DB_INSTANCE = "roadtrip-db"
DB_REPLICA = "roadtrip-db-replica"
DB_REGION = PRIMARY
DB_REPLICA_REGION = SECONDARY

POIS_TABLE = "roadtrip-pois"
HEARTBEATS_TABLE = "roadtrip-heartbeats"
REPLICATED_TABLES = (HEARTBEATS_TABLE, POIS_TABLE)
TABLE_KEYS = {HEARTBEATS_TABLE: "writer", POIS_TABLE: "poi_id"}
SEEDED_POIS = 20

# Versioned media buckets, each replicating to the other (replicas are not replicated back).
# The app taking the traffic overwrites its canary object every second: a new version a second.
REPLICATION_ROLE = "roadtrip-s3-replication"
SEEDED_MEDIA = tuple(f"media/poi-{n:03d}.jpg" for n in range(1, 6))


def media_bucket(region: str) -> str:
    return f"roadtrip-media-{region}"


def media_replication_rule(target: str) -> str:
    """The id of the rule replicating the other region's media bucket into `target`'s."""
    return f"roadtrip-media-to-{target}"


def media_canary_key(region: str) -> str:
    """The object `region`'s app overwrites every second while it takes the traffic."""
    return f"canary/{region}.json"


# What the app needs in each region besides compute: the secret is created in the primary and
# replicated; the parameter and the image are put in both; `api` runs the region's ECR image.
APP_SECRET = "roadtrip/api"
APP_PARAMETER = "/roadtrip/config/feature-flags"
API_REPOSITORY = "roadtrip-api"
API_IMAGE_TAG = "stable"


def api_image(account: str, region: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{API_REPOSITORY}:{API_IMAGE_TAG}"


TOPIC = "drctl-notifications"
DETECTION_TOPIC = "drctl-detection-alarms"  # in the detection alarms' AlarmActions/OKActions
INBOX_QUEUE = "drctl-notifications-inbox"


def regional_api_host(region: str) -> str:
    """The per-region name the weighted `api` record points at."""
    return f"api-{region}.{ZONE_NAME}"


def detection_alarms(region: str) -> tuple[str, str]:
    """The alarms a failover watches for `region`: 5xx count and latency."""
    return (f"roadtrip-api-5xx-{region}", f"roadtrip-api-latency-{region}")
