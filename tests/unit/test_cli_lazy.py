"""`drctl` starts at once: commands are imported when they run (drctl/cli/lazy.py)."""

from __future__ import annotations

import json
import os
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


# Every command's --help, and every subcommand's, rendered in one fresh interpreter; after each,
# what it pulled in. A command's module is imported for its help, but no AWS client is built:
# boto3 and botocore are imported by drctl/aws/ on the first client, not with the adapters.
_EVERY_HELP = """
import json, sys
import typer
from typer.testing import CliRunner
from drctl.cli.main import COMMANDS, app
seen = {}
for row in COMMANDS:
    command = row.load()
    paths = [[row.name]] + [[row.name, sub] for sub in getattr(command, "commands", {})]
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"])
        heavy = [m for m in ("boto3", "botocore", "s3transfer", "moto") if m in sys.modules]
        seen[" ".join(path)] = [result.exit_code, heavy]
print(json.dumps(seen))
"""


def test_no_command_help_imports_boto3_or_opens_the_journal(tmp_path) -> None:
    env = {**os.environ, "DRCTL_STATE_DIR": str(tmp_path / "state"),
           "XDG_STATE_HOME": str(tmp_path / "xdg")}
    env.pop("DRCTL_STATE", None)
    done = subprocess.run([sys.executable, "-c", _EVERY_HELP], capture_output=True, text=True,
                          check=True, env=env, cwd=tmp_path)
    seen = json.loads(done.stdout)
    assert "failover" in seen and "runs list" in seen and "sandbox up" in seen
    assert {path: heavy for path, (_, heavy) in seen.items() if heavy} == {}
    assert {path: code for path, (code, _) in seen.items() if code != 0} == {}
    assert not (tmp_path / "state").exists() and not (tmp_path / "xdg").exists()


def test_a_command_help_as_a_process_imports_no_boto3(tmp_path) -> None:
    """`drctl failover --help` through the real entry point (`drctl.cli.main:main`)."""
    code = ("import json, sys\nfrom drctl.cli.main import run\n"
            "sys.argv = ['drctl', 'failover', '--help']\ncode = run(sys.argv[1:])\n"
            "sys.stderr.write(json.dumps([code, 'boto3' in sys.modules, "
            "'botocore' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert "drctl failover" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [0, False, False]


def test_runs_list_on_the_sqlite_journal_imports_no_boto3(tmp_path) -> None:
    """The store is SQLite: no AWS client, so no boto3 session either (drctl/aws/clients.py)."""
    code = ("import json, sys\nfrom drctl.cli.main import run\n"
            f"code = run(['--state-dir', {str(tmp_path)!r}, 'runs', 'list', '--json'])\n"
            "sys.stderr.write(json.dumps([code, 'boto3' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert json.loads(done.stdout) == []
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [0, False]


# What `drctl failover` and `drctl plan` do is imported when they run: their --help (read
# during an incident) loads the options module only (0.77 -> 0.37 s of CPU, bench startup).
FAILOVER_BODY = ("drctl.cli.failover_run", "drctl.failover.runner", "drctl.playbook.schema",
                 "drctl.playbook.loader", "drctl.core.engine", "drctl.aws.estate", "httpx",
                 "yaml")


@pytest.mark.parametrize("command", ["failover", "plan"])
def test_failover_help_imports_nothing_the_command_does(command: str, tmp_path) -> None:
    code = ("import json, sys\nfrom drctl.cli.main import run\n"
            f"code = run([{command!r}, '--help'])\n"
            f"sys.stderr.write(json.dumps([code, [m for m in {FAILOVER_BODY!r} "
            "if m in sys.modules]]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert f"drctl {command}" in done.stdout and "--region" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [0, []]
