#!/usr/bin/env bash
# `make demo`: sandbox up, a regional outage, the six-step failover, RTO/RPO against targets.
set -euo pipefail
export DRCTL_STATE_DIR="${DRCTL_STATE_DIR:-.drctl/demo}"
LAG="${DEMO_REPLICATION_LAG:-5s}"

drctl sandbox down >/dev/null 2>&1 || true
trap 'drctl sandbox down >/dev/null 2>&1 || true' EXIT

echo "==> drctl sandbox up --replication-lag $LAG"
drctl sandbox up --replication-lag "$LAG"
eval "$(drctl sandbox env)"

echo; echo "==> drctl validate playbooks/roadtrip.yaml"
drctl validate playbooks/roadtrip.yaml

echo; echo "==> letting the primary write heartbeats and replicate for a few seconds"
sleep 8

echo; echo "==> drctl sandbox outage --region us-east-1"
drctl sandbox outage --region us-east-1
sleep 2

echo; echo "==> drctl plan --region us-west-2"
drctl plan --region us-west-2

echo; echo "==> drctl failover --region us-west-2 --yes"
drctl failover --region us-west-2 --yes

echo; echo "==> the sandbox's ground truth, to hold the measurement against"
drctl sandbox status --json | python3 -c '
import json, sys
truth = json.load(sys.stdin)
print("outage of us-east-1 began", truth["outages"]["us-east-1"]["started_at"])
print("injected replication lag  ", truth["replication_lag_seconds"], "s  (the RPO should match it)")'

echo; echo "==> drctl runs list"
drctl runs list --kind failover --limit 3

echo; echo "==> drctl report --since 1d   (and an HTML report with charts)"
drctl report --since 1d
drctl report --since 1d --format html --out "$DRCTL_STATE_DIR/report.html"
echo; echo "Demo done. The sandbox is stopped on exit; the journal stays in $DRCTL_STATE_DIR."
