"""`chaos run --dry-run` shows what each activity would really run."""

from __future__ import annotations

from drctl.chaos.plan import runs


def test_a_process_provider_shows_its_full_command_line() -> None:
    assert runs({"type": "process", "path": "tc", "arguments": ["qdisc", "add", "dev", "eth0",
                                                               "root", "netem", "delay 200ms"]}
                ) == "tc qdisc add dev eth0 root netem 'delay 200ms'"
    assert runs({"type": "process", "path": "sh", "arguments": "-c 'sleep 5'"}) == \
        "sh -c 'sleep 5'"


def test_a_python_provider_shows_the_call_with_its_arguments() -> None:
    shown = runs({"type": "python", "module": "chaosaws.ecs.actions",
                  "func": "stop_random_tasks", "arguments": {"cluster": "roadtrip",
                                                             "task_count": 1}})
    assert shown == "chaosaws.ecs.actions.stop_random_tasks(cluster='roadtrip', task_count=1)"


def test_an_http_provider_shows_method_and_url() -> None:
    assert runs({"type": "http", "url": "http://x/health"}) == "GET http://x/health"
