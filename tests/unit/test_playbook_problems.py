"""Playbook problems a careful reader would catch: every one reported, each at its own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.core.errors import PlaybookError
from drctl.playbook.loader import load_playbook
from tests.unit.test_playbook_loader import VALID, line_of, write

SCALE = "scale:\n  ecs:\n    - cluster: c\n      services: {api: 2}\n"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    assert caught.value.exit_code == 2
    assert str(caught.value).splitlines() == caught.value.problems
    return [p.removeprefix(f"{path}:") for p in caught.value.problems]


def test_a_second_scale_block_is_refused_at_its_line(tmp_path: Path) -> None:
    text = VALID + SCALE + "scale:\n  autoscaling: []\n"
    first, second = [n for n, line in enumerate(text.splitlines(), 1) if line == "scale:"]
    assert problems(tmp_path, text) == [
        f"{second}: duplicate key 'scale' (first given at line {first}); "
        "YAML would silently keep only the last one"]


def test_a_duplicate_key_deep_inside_is_refused_too(tmp_path: Path) -> None:
    text = VALID.replace("    role: secondary\n", "    role: secondary\n    role: primary\n")
    assert problems(tmp_path, text) == [
        f"{line_of(text, 'role: secondary') + 1}: duplicate key 'role' (first given at line "
        f"{line_of(text, 'role: secondary')}); YAML would silently keep only the last one"]


def test_every_problem_is_reported_each_at_its_own_line(tmp_path: Path) -> None:
    text = (VALID.replace("  weight: 100", "  weight: 0")
            .replace('      url: "{endpoint}/health"', '      url: "health"')
            + "scale:\n  timeout: 0s\n  ecs:\n    - cluster: c\n      services: {api: -1}\n")
    found = problems(tmp_path, text)
    assert [p.split(":")[0] for p in found] == [
        str(line_of(text, "weight: 0")), str(line_of(text, 'url: "health"')),
        str(line_of(text, "timeout: 0s")), str(line_of(text, "api: -1"))]
    assert "dns.weight" in found[0]
    assert "is not an http:// or https:// URL" in found[1]
    assert "must be more than zero" in found[2]
    assert "scale.ecs.0.services.api" in found[3] and "greater than or equal to 0" in found[3]


def test_a_misspelt_key_says_did_you_mean(tmp_path: Path) -> None:
    text = VALID.replace("  zone: example.com", "  zoen: example.com")
    assert problems(tmp_path, text) == [
        f"{line_of(text, 'zoen')}: dns.zoen: unknown key (did you mean 'zone'?)"]


def test_an_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    text = VALID.replace("  weight: 100", "  weight: 100\n  colour: red")
    found = problems(tmp_path, text)
    assert found[0].startswith(f"{line_of(text, 'colour')}: dns.colour: unknown key (known: ")
    assert "records" in found[0]


def test_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("api-5xx-{region}", "api-5xx-{regoin}")
    assert problems(tmp_path, text)[0].startswith(
        f"{line_of(text, 'regoin')}: unknown placeholder {{regoin}}")


def test_negative_rpo_target_is_refused(tmp_path: Path) -> None:
    text = VALID + "targets:\n  rpo: 0s\n"
    assert "targets.rpo: must be more than zero" in problems(tmp_path, text)[0]


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    for n in range(1, 10):
        bomb += f"{chr(97 + n)}: &{chr(97 + n)} [" + ", ".join([f"*{chr(96 + n)}"] * 10) + "]\n"
    # Expanded, this is 10**10 strings: refused on the node budget instead of hanging.
    found = problems(tmp_path, VALID + bomb)
    assert "alias bomb" in found[0]


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    assert "alias" in problems(tmp_path, VALID + "x: &x [*x]\n")[0]


def test_a_non_utf8_playbook_is_a_playbook_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.encode() + "description: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    assert str(caught.value).startswith(f"{path}:{VALID.count(chr(10)) + 1}: not UTF-8 text")
