"""The ECS service scheduler, played by the sandbox: moto stores services but runs no tasks.

AWS: a REPLICA service's scheduler keeps `desiredCount` tasks running. Each task belongs to its
service's group (`group: service:NAME`, `startedBy`: the deployment id); `runningCount` counts
those tasks; a task that stops (StopTask, a crash) is replaced within seconds; scaling in stops
the surplus. `ListTasks` honours `serviceName` and, unless told otherwise, lists only tasks whose
desired status is RUNNING; a running task stays RUNNING however often it is described.

moto: a service starts no task; `runningCount` is set to `desiredCount` by UpdateService and
never changes after; `ListTasks` ignores `serviceName` and lists stopped tasks too; and every
DescribeTasks call moves a task one step along RUNNING -> ... -> STOPPED. So task-loss
experiments mean nothing there.

`EcsScheduler` runs in the supervisor (moto's backends live in that process), converging every
service twice a second; the patches below make moto's ListTasks/DescribeTasks behave as AWS's
and take the scheduler's lock, so no request sees a half-applied convergence.
Written against moto 5.1/5.2 (`moto.ecs.models`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, ecs_backends

from drctl.sandbox.periodic import Periodic

log = structlog.get_logger(__name__)

# moto's backends are process-global and answer requests on server threads: one lock for them.
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def service_group(service: Service) -> str:
    return f"service:{service.name}"


def list_tasks(
    self: EC2ContainerServiceBackend, cluster_str: str | None = None,
    container_instance: str | None = None, family: str | None = None,
    started_by: str | None = None, service_name: str | None = None,
    desiredStatus: str | None = None,  # moto's parameter name: the server passes it by position
) -> list[Task]:
    """ListTasks as AWS: only the named service's tasks, and RUNNING ones by default."""
    with _LOCK:
        tasks: list[Task] = _ORIGINALS["list_tasks"](
            self, cluster_str, container_instance, family, started_by, None,
            desiredStatus or "RUNNING",
        )
    if service_name:
        group = "service:" + service_name.split("/")[-1]
        tasks = [task for task in tasks if task.group == group]
    return tasks


def advance_task(self: Task) -> None:
    """A running task is not on its way out: only a task told to stop moves towards STOPPED."""
    if self.desired_status != "RUNNING":
        _ORIGINALS["advance"](self)


def stop_task(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Task:
    """StopTask, and the service's running count drops at once, as on AWS."""
    with _LOCK:
        task: Task = _ORIGINALS["stop_task"](self, *args, **kwargs)
        _recount_group(self, task.cluster_name, task.group)
    return task


def update_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
    """UpdateService without moto's `runningCount = desiredCount`: the scheduler starts tasks."""
    with _LOCK:
        service: Service = _ORIGINALS["update_service"](self, *args, **kwargs)
        _recount(self, service)
    return service


def describe_services(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        return _ORIGINALS["describe_services"](self, *args, **kwargs)


def describe_tasks(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        return _ORIGINALS["describe_tasks"](self, *args, **kwargs)


_PATCHES: dict[str, tuple[type, Callable[..., Any]]] = {
    "list_tasks": (EC2ContainerServiceBackend, list_tasks),
    "advance": (Task, advance_task),
    "stop_task": (EC2ContainerServiceBackend, stop_task),
    "update_service": (EC2ContainerServiceBackend, update_service),
    "describe_services": (EC2ContainerServiceBackend, describe_services),
    "describe_tasks": (EC2ContainerServiceBackend, describe_tasks),
}


def apply_ecs_fidelity() -> list[str]:
    """Patch moto's ECS backend in this process. Idempotent. Returns the patched names."""
    for name, (owner, patch) in _PATCHES.items():
        if name not in _ORIGINALS:
            _ORIGINALS[name] = getattr(owner, name)
            setattr(owner, name, patch)
    return sorted(_PATCHES)


class EcsScheduler(Periodic):
    """Keeps every ACTIVE replica service of `regions` at its desired count of running tasks.

    A task it starts is PENDING for `task_startup` seconds, then RUNNING (image pull, health
    check grace): a lost task shows as a dip in `runningCount` before it is replaced.
    """

    name = "ecs-scheduler"

    def __init__(self, regions: Iterable[str], interval: float = 0.5, task_startup: float = 2.0,
                 account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        super().__init__(interval)
        self._regions = tuple(regions)
        self._task_startup = task_startup
        self._account_id = account_id
        self._ready_at: dict[str, float] = {}  # pending task ARN -> when it is RUNNING

    def start(self) -> None:
        apply_ecs_fidelity()
        # The seeded estate has been running for a while: its first tasks start RUNNING.
        self.converge(task_startup=0.0)
        super().start()

    def tick(self) -> None:
        self.converge()

    def converge(self, task_startup: float | None = None) -> dict[str, tuple[int, int]]:
        """One round over every service. Returns `{region/cluster/service: (running, pending)}`
        for the services whose counts changed."""
        startup = self._task_startup if task_startup is None else task_startup
        changed: dict[str, tuple[int, int]] = {}
        with _LOCK:
            for region in self._regions:
                backend = ecs_backends[self._account_id][region]
                for service in list(backend.services.values()):
                    before = (service.running_count, service.pending_count)
                    self._converge_service(backend, service, startup)
                    after = (service.running_count, service.pending_count)
                    if after != before:
                        changed[f"{region}/{service.cluster_name}/{service.name}"] = after
        if changed:
            log.info("ecs_tasks_converged", services=changed)
        return changed

    def _converge_service(self, backend: EC2ContainerServiceBackend, service: Service,
                          startup: float) -> None:
        tasks = _live_tasks(backend, service.cluster_name, service_group(service))
        now = time.monotonic()
        for task in tasks:
            if task.last_status == "PENDING" and self._ready_at.get(task.task_arn, 0) <= now:
                task.last_status = "RUNNING"
                self._ready_at.pop(task.task_arn, None)
        wanted = _wanted(service, len(tasks))
        if len(tasks) < wanted and service.task_definition:
            for task in backend.run_task(
                cluster_str=service.cluster_name, task_definition_str=service.task_definition,
                count=wanted - len(tasks), overrides=None, started_by=_deployment_id(service),
                tags=None, launch_type="FARGATE", group=service_group(service),
            ):
                if startup > 0:
                    task.last_status = "PENDING"
                    self._ready_at[task.task_arn] = now + startup
        # Scaling in stops pending tasks first, as AWS does.
        pending_first = sorted(tasks, key=lambda t: t.last_status != "PENDING")
        for task in pending_first[:max(0, len(tasks) - wanted)]:
            _ORIGINALS["stop_task"](backend, service.cluster_name, task.task_arn,
                                    "Scaling activity initiated by the service scheduler")
        _recount(backend, service)



def _wanted(service: Service, current: int) -> int:
    if service.scheduling_strategy != "REPLICA" or not service.task_definition:
        return current  # DAEMON services and services without a task definition: not ours
    return int(service.desired_count) if service.status == "ACTIVE" else 0


def _live_tasks(backend: EC2ContainerServiceBackend, cluster: str, group: str) -> list[Task]:
    tasks = backend.tasks.get(cluster, {}).values()
    return [t for t in tasks if t.group == group and t.desired_status == "RUNNING"]


def _recount(backend: EC2ContainerServiceBackend, service: Service) -> None:
    tasks = _live_tasks(backend, service.cluster_name, service_group(service))
    pending = sum(1 for t in tasks if t.last_status == "PENDING")
    service.running_count, service.pending_count = len(tasks) - pending, pending


def _recount_group(backend: EC2ContainerServiceBackend, cluster: str, group: str) -> None:
    for service in backend.services.values():
        if service.cluster_name == cluster and service_group(service) == group:
            _recount(backend, service)


def _deployment_id(service: Service) -> str:
    deployments = getattr(service, "deployments", None) or [{}]
    return str(deployments[0].get("id", "ecs-svc/sandbox"))
