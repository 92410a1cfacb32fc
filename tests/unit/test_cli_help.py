"""`--help` teaches: every option says what it is for, no option shows a Python type
(`<bool>`, `<str>`), and what is required is shown as such (issue 8 item 24)."""

from __future__ import annotations

import re

import pytest

from drctl.cli.main import COMMANDS as LAZY_COMMANDS
from drctl.cli.main import run


def leaf_commands() -> list[tuple[list[str], object]]:
    found: list[tuple[list[str], object]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
            return
        found.append((path, command))

    for lazy in LAZY_COMMANDS:
        walk(lazy.load(), [lazy.name])
    return found


COMMANDS = leaf_commands()
PYTHON_TYPE = re.compile(r"<(bool|str|int|float)>")


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert run([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("path", [[]] + [p for p, _ in COMMANDS],
                         ids=["drctl"] + [" ".join(p) for p, _ in COMMANDS])
def test_help_shows_no_python_types(capsys, path) -> None:
    out = help_of(capsys, *path)
    assert not PYTHON_TYPE.search(out), out


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_says_what_it_is_for(path, command) -> None:
    silent = [p.opts[0] for p in command.params  # type: ignore[attr-defined]
              if getattr(p, "opts", None) and p.opts[0].startswith("--") and not p.help]
    assert silent == [], f"drctl {' '.join(path)}: options without help: {silent}"


def test_a_flag_takes_no_value_and_a_value_is_named(capsys) -> None:
    out = help_of(capsys, "failover")
    assert re.search(r"--yes\s+-y\s+Skip", out), out
    assert re.search(r"--region\s+-r\s+REGION", out), out


def test_failover_region_is_required_unless_resume(capsys) -> None:
    out = " ".join(help_of(capsys, "failover").replace("│", " ").split())
    assert "Required, unless --resume" in out
    code = run(["failover"])
    assert code == 2 and "give exactly one of --region TARGET or --resume RUN_ID" in \
        capsys.readouterr().err


@pytest.mark.parametrize("command", ["outage", "restore"])
def test_sandbox_region_options_say_which_regions(capsys, command) -> None:
    out = " ".join(help_of(capsys, "sandbox", command).replace("│", " ").split())
    assert "us-east-1 or us-west-2" in out and "[required]" in out
