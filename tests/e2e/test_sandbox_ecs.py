"""The sandbox plays the ECS service scheduler (drctl/sandbox/ecs_scheduler.py). Each test
states AWS's behaviour and checks it through boto3 against a live sandbox, so it keeps passing
if moto one day does this itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory

pytestmark = pytest.mark.e2e

REGION, CLUSTER = "us-west-2", "roadtrip"


@pytest.fixture
def ecs(aws: ClientFactory) -> Iterator[Any]:
    client = aws.client("ecs", REGION)
    yield client
    client.update_service(cluster=CLUSTER, service="api", desiredCount=1)
    eventually(lambda: counts(client, "api") == (1, 1, 0))


def counts(ecs: Any, service: str) -> tuple[int, int, int]:
    svc = ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]
    return svc["desiredCount"], svc["runningCount"], svc["pendingCount"]


def tasks(ecs: Any, service: str, **kwargs: Any) -> list[str]:
    return list(ecs.list_tasks(cluster=CLUSTER, serviceName=service, **kwargs)["taskArns"])


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_a_service_runs_its_desired_tasks_in_its_own_group(ecs: Any) -> None:
    """AWS: a REPLICA service runs desiredCount tasks, grouped `service:NAME`, started by its
    deployment; ListTasks with serviceName lists only that service's running tasks."""
    arns = tasks(ecs, "voice")

    assert counts(ecs, "voice") == (1, 1, 0) and len(arns) == 1
    described = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"][0]
    assert described["group"] == "service:voice"
    assert described["startedBy"].startswith("ecs-svc/")
    assert set(tasks(ecs, "api")).isdisjoint(arns)


def test_describing_a_running_task_leaves_it_running(ecs: Any) -> None:
    """AWS: a task stays RUNNING however often it is described (moto advanced it each time)."""
    arns = tasks(ecs, "api")
    for _ in range(3):
        described = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"][0]

    assert (described["lastStatus"], described["desiredStatus"]) == ("RUNNING", "RUNNING")


def test_a_stopped_task_is_replaced_and_counted_out_at_once(ecs: Any) -> None:
    """AWS: StopTask drops runningCount; the scheduler starts a replacement (PENDING, then
    RUNNING); the stopped task is listed only when asking for STOPPED tasks."""
    [lost] = tasks(ecs, "api")

    ecs.stop_task(cluster=CLUSTER, task=lost, reason="test: task loss")

    assert counts(ecs, "api")[:2] == (1, 0)
    assert lost in tasks(ecs, "api", desiredStatus="STOPPED")
    eventually(lambda: counts(ecs, "api") == (1, 1, 0))
    [replacement] = tasks(ecs, "api")
    assert replacement != lost


def test_scaling_starts_and_stops_tasks(ecs: Any) -> None:
    """AWS: raising desiredCount starts tasks (pending first), lowering it stops the surplus."""
    ecs.update_service(cluster=CLUSTER, service="api", desiredCount=3)

    assert counts(ecs, "api")[1] == 1  # not instantly running, unlike moto's UpdateService
    eventually(lambda: counts(ecs, "api") == (3, 3, 0))
    assert len(tasks(ecs, "api")) == 3

    ecs.update_service(cluster=CLUSTER, service="api", desiredCount=1)
    eventually(lambda: counts(ecs, "api") == (1, 1, 0))
    assert len(tasks(ecs, "api")) == 1


def test_the_adapter_reads_services_of_several_clusters_at_once(aws: ClientFactory) -> None:
    """drctl's ECS adapter (not the sandbox): `services_in` reads every cluster's services,
    10 a DescribeServices call, the calls of all clusters in one bounded pool; a missing
    service is named with its cluster. In a region of its own, so the estate is untouched."""
    from drctl.aws.ecs import Ecs, ServicesMissing

    region = "eu-west-3"
    client = aws.client("ecs", region)
    client.register_task_definition(family="reads", containerDefinitions=[
        {"name": "app", "image": "nginx", "memory": 64}])
    wanted = {"reads-a": [f"a{i:02}" for i in range(23)], "reads-b": ["b0", "b1"]}
    for cluster, names in wanted.items():
        client.create_cluster(clusterName=cluster)
        for name in names:
            client.create_service(cluster=cluster, serviceName=name, taskDefinition="reads",
                                  desiredCount=0)
    ecs = Ecs(client, region)

    states = ecs.services_in(wanted)

    assert {c: sorted(s) for c, s in states.items()} == wanted
    assert all(s.desired == 0 for by_name in states.values() for s in by_name.values())
    assert ecs.services("reads-b", ["b1"])["b1"].name == "b1"
    with pytest.raises(ServicesMissing) as missing:
        ecs.services_in({"reads-a": ["a00"], "reads-b": ["b0", "nope"]})
    assert missing.value.names == ["nope"] and "reads-b" in str(missing.value)
