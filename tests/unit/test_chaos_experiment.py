"""Loading experiments as `chaos run` would, and refusing what cannot run (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drctl.chaos.experiment import load_chaos_experiment
from drctl.core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def experiment(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "title": "t", "description": "d",
        "configuration": {"aws_region": "us-west-2", "count": 1},
        "method": [{"type": "action", "name": "noop",
                    "provider": {"type": "process", "path": "true"}}],
    }
    document.update(overrides)
    return document


def write(tmp_path: Path, document: dict[str, Any], name: str = "e.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "experiments").iterdir()))
def test_every_shipped_experiment_is_valid(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ROADTRIP_API_US_EAST_1", "ROADTRIP_API_US_WEST_2"):
        monkeypatch.setenv(var, "http://127.0.0.1:1")

    loaded = load_chaos_experiment(str(ROOT / "experiments" / name))

    assert loaded.title and loaded.target_regions
    assert loaded.hypothesis_probes, "a shipped experiment states a steady-state hypothesis"


def test_vars_are_converted_as_chaos_run_converts_them(tmp_path: Path) -> None:
    loaded = load_chaos_experiment(write(tmp_path, experiment()), ["count:int=3"])

    assert loaded.config_vars == {"count": 3}


def test_an_unknown_var_is_refused_naming_the_declared_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"unknown variable\(s\) cuont.*aws_region, count"):
        load_chaos_experiment(write(tmp_path, experiment()), ["cuont=3"])


def test_a_malformed_var_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="--var"):
        load_chaos_experiment(write(tmp_path, experiment()), ["count:int=three"])


def test_a_missing_var_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_chaos_experiment(write(tmp_path, experiment()), [], [str(tmp_path / "nope.yaml")])


def test_unknown_variables_in_a_var_file_are_refused(tmp_path: Path) -> None:
    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"configuration": {"regoin": "x"}}))

    with pytest.raises(InvalidInput, match="regoin"):
        load_chaos_experiment(write(tmp_path, experiment()), [], [str(var_file)])


def test_chaoslib_validation_message_is_kept(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="experiment requires a title"):
        load_chaos_experiment(write(tmp_path, experiment(title="")))


def test_an_unknown_provider_module_is_refused(tmp_path: Path) -> None:
    method = [{"type": "action", "name": "x",
               "provider": {"type": "python", "module": "chaosaws.nope", "func": "f"}}]

    with pytest.raises(InvalidInput, match=r"could not find Python module 'chaosaws\.nope'"):
        load_chaos_experiment(write(tmp_path, experiment(method=method)))


def test_broken_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('{\n  "title": "t",\n  oops\n}')

    with pytest.raises(InvalidInput, match=r"e\.json:3: not valid JSON"):
        load_chaos_experiment(str(path))


def test_yaml_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("title: t\ndescription: d\nmethod: []\n")

    assert load_chaos_experiment(str(path)).title == "t"


def test_the_target_region_defaults_to_the_configured_aws_region(tmp_path: Path) -> None:
    assert load_chaos_experiment(write(tmp_path, experiment())).target_regions == ("us-west-2",)


def test_drctl_plays_rollbacks_always_unless_the_experiment_says_otherwise(
        tmp_path: Path) -> None:
    default = load_chaos_experiment(write(tmp_path, experiment()))
    chosen = load_chaos_experiment(write(
        tmp_path, experiment(runtime={"rollbacks": {"strategy": "never"}}), "n.json"))

    assert (default.rollback_strategy, chosen.rollback_strategy) == ("always", "never")


def test_an_unknown_strategy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"rollbacks\.strategy"):
        load_chaos_experiment(write(
            tmp_path, experiment(runtime={"rollbacks": {"strategy": "sometimes"}})))


def test_the_regions_an_experiment_acts_in_are_derived_not_trusted(tmp_path: Path) -> None:
    """A region-scope experiment declaring us-west-2 but configured for us-east-1 acts in
    us-east-1: refused, exit 2."""
    lying = experiment(extensions=[{"name": "drctl", "scope": "region",
                                    "target_regions": ["us-west-2"]}])
    lying["configuration"]["aws_region"] = "us-east-1"

    with pytest.raises(InvalidInput) as refused:
        load_chaos_experiment(write(tmp_path, lying))

    assert "acts in us-east-1" in refused.value.message and refused.value.exit_code == 2


def test_an_activitys_region_argument_counts_as_a_region_it_acts_in(tmp_path: Path) -> None:
    document = experiment(extensions=[{"name": "drctl", "target_regions": ["us-west-2"]}])
    document["method"][0]["provider"] = {
        "type": "python", "module": "drctl.chaos.probes", "func": "heartbeat_age",
        "arguments": {"table": "t", "writer": "w", "region": "eu-west-1"}}

    with pytest.raises(InvalidInput, match="acts in eu-west-1"):
        load_chaos_experiment(write(tmp_path, document))
    document["extensions"][0]["target_regions"] = ["us-west-2", "eu-west-1"]
    assert load_chaos_experiment(write(tmp_path, document)).target_regions == (
        "us-west-2", "eu-west-1")


def test_without_aws_region_the_environments_region_is_where_it_acts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = experiment()
    del document["configuration"]["aws_region"]
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")

    assert load_chaos_experiment(write(tmp_path, document)).acting_regions == ("ap-south-1",)


def test_an_unset_environment_variable_is_named(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from drctl.chaos.catalog import list_experiments
    from drctl.store.memory import MemoryStore

    monkeypatch.delenv("DRCTL_TEST_UNSET_URL", raising=False)
    document = experiment()
    document["configuration"]["url"] = {"type": "env", "key": "DRCTL_TEST_UNSET_URL"}
    path = write(tmp_path, document)

    with pytest.raises(InvalidInput, match="DRCTL_TEST_UNSET_URL, which are not set"):
        load_chaos_experiment(path)
    [entry] = list_experiments(tmp_path, MemoryStore())
    assert entry.problem is None and entry.needs_env == ["DRCTL_TEST_UNSET_URL"]
    assert entry.title == "t" and entry.to_dict()["valid"] is True


def test_the_hint_for_an_unset_environment_variable_is_a_var_that_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRCTL_TEST_UNSET_URL", raising=False)
    document = experiment()
    document["configuration"]["url"] = {"type": "env", "key": "DRCTL_TEST_UNSET_URL"}
    path = write(tmp_path, document)

    with pytest.raises(InvalidInput) as refused:
        load_chaos_experiment(path)
    hint = refused.value.hint or ""
    assert "--var url=VALUE" in hint, hint

    # What the hint says to run: the configuration key given on the command line.
    var = hint.split("--var ", 1)[1].split()[0].replace("VALUE", "http://127.0.0.1:9")
    loaded = load_chaos_experiment(path, [var])
    assert loaded.config_vars == {"url": "http://127.0.0.1:9"}
