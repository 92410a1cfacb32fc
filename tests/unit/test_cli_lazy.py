"""`drctl` starts at once: commands are imported when they run (drctl/cli/lazy.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from drctl.cli.main import COMMANDS, app

HEAVY = ("boto3", "botocore", "chaoslib", "matplotlib", "moto", "pydantic", "yaml", "click")


def test_importing_the_cli_imports_nothing_heavy() -> None:
    code = ("import json, sys; import drctl.cli.main; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == []


def test_root_help_lists_every_command_without_importing_them() -> None:
    code = ("import json, sys\nfrom typer.testing import CliRunner\n"
            "from drctl.cli.main import app\n"
            "out = CliRunner().invoke(app, ['--help']).output\n"
            f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], out]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    imported, output = json.loads(done.stdout)
    assert imported == []
    for row in COMMANDS:
        assert row.name in output


@pytest.mark.parametrize("row", COMMANDS, ids=lambda row: row.name)
def test_each_row_loads_its_command_and_says_what_its_docstring_says(row) -> None:
    command = row.load()
    assert isinstance(command, TyperGroup) or command.callback is not None  # not the stub
    assert command.name == row.name
    assert " ".join((command.help or "").split()).startswith(" ".join(row.help.split()))


@pytest.mark.parametrize("row", COMMANDS, ids=lambda row: row.name)
def test_each_command_help_runs_through_the_root(row) -> None:
    result = CliRunner().invoke(app, [row.name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"drctl {row.name}" in result.output
    assert "--install-completion" not in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["fail-over"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_the_root_group_is_lazy() -> None:
    group = typer.main.get_command(app)
    assert set(group.list_commands(typer.Context(group))) >= {row.name for row in COMMANDS}
