"""The benchmark estate generator (drctl/sandbox/scaled_estate.py): sizes, names, its playbook."""

from __future__ import annotations

import pytest

from drctl.playbook.loader import load_playbook
from drctl.sandbox.scaled_estate import (
    SERVICES_PER_CLUSTER,
    ScaledEstate,
    parse_estate_size,
    playbook_yaml,
)


@pytest.mark.parametrize(("text", "size"), [("0", 0), ("37", 37), ("small", 10),
                                            ("Medium", 50), ("large", 200)])
def test_sizes_by_number_or_name(text: str, size: int) -> None:
    assert parse_estate_size(text) == size


@pytest.mark.parametrize("text", ["-1", "1001", "huge", "", "2.5"])
def test_bad_sizes_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"services|between"):
        parse_estate_size(text)


def test_services_are_spread_over_clusters_groups_and_records() -> None:
    scaled = ScaledEstate(57)
    clusters = scaled.clusters
    assert len(clusters) == 3
    assert max(len(names) for names in clusters.values()) == SERVICES_PER_CLUSTER
    assert sum(len(names) for names in clusters.values()) == 57
    assert len({n for names in clusters.values() for n in names}) == 57
    assert len(scaled.groups) == 5
    assert len(scaled.records) == 57


def test_the_generated_playbook_is_valid_and_fails_everything_over(tmp_path) -> None:
    scaled = ScaledEstate(30)
    path = tmp_path / "big.yaml"
    path.write_text(playbook_yaml(scaled))
    playbook = load_playbook(path, env={})
    services = {(c.cluster, s) for c in playbook.scale.ecs for s in c.services}
    assert len(services) == 30 + 3
    assert {g.group for g in playbook.scale.autoscaling} >= set(scaled.groups)
    assert {r.name for r in playbook.dns.records} == {"api.roadcopilot.com", *scaled.records}
