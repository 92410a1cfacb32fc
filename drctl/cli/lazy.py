"""Commands imported when they run, not when `drctl` starts.

On-call types `drctl --help` many times an incident; importing boto3, pydantic, the playbook
schema, chaoslib and matplotlib for it cost most of a second of CPU. So the root group knows
its commands by name, module and one-line help (`Lazy`), lists them from that table, and imports
a command's module only when that command is resolved to run (or to show its own `--help`).
`tests/unit/test_cli_lazy.py` checks that every table row's help matches the real command's.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from typer._click.core import Context as _ClickContext
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    # typer vendors its own click; its classes are what a TyperGroup holds.
    from typer._click.core import Command, Context


@dataclass(frozen=True)
class Lazy:
    """A command in the table: `target` is `module:attribute`, a typer.Typer (a group of
    subcommands) or a function (one command); `help` is the line `drctl --help` shows."""

    name: str
    target: str
    help: str

    def load(self) -> Command:
        module, _, attribute = self.target.partition(":")
        obj: Any = getattr(importlib.import_module(module), attribute)
        if not isinstance(obj, typer.Typer):
            single = typer.Typer(rich_markup_mode="markdown", add_completion=False,
                                 pretty_exceptions_enable=False)
            single.command(self.name)(obj)
            obj = single
        obj._add_completion = False  # the root has none; neither do its subcommands
        command = typer.main.get_command(obj)
        command.name = self.name
        tidy_metavars(command)
        return command

    def stub(self) -> Command:
        """What the root's help lists: the name and the line, nothing imported."""
        return TyperCommand(self.name, help=self.help, short_help=self.help,
                            rich_markup_mode="markdown")


class LazyGroup(TyperGroup):
    """The root group: table commands are imported only when resolved to run."""

    table: dict[str, Lazy] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resolving = False
        tidy_metavars(self, recurse=False)

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *self.table]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        lazy = self.table.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        return lazy.load() if self._resolving else lazy.stub()

    def resolve_command(self, ctx: Context, args: list[str]
                        ) -> tuple[str | None, Command | None, list[str]]:
        self._resolving = True
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            _suggest(exc, args[0] if args else "", self.list_commands(ctx))
            raise
        finally:
            self._resolving = False


def _suggest(exc: UsageError, typo: str, names: list[str]) -> None:
    """typer suggests only from the commands it holds, not the table's: say `runbook` for
    `runbok` (a suggestion, never the typo, so the usage hint stays a working command)."""
    matches = difflib.get_close_matches(typo, names)
    if matches and "Did you mean" not in exc.message:
        exc.message = f"{exc.message.rstrip('.')}. Did you mean " \
                      f"{', '.join(repr(m) for m in matches)}?"


def lazy_group(table: list[Lazy]) -> type[LazyGroup]:
    """A LazyGroup class bound to `table` (typer takes the group's class, not an instance)."""
    return type("DrctlGroup", (LazyGroup,), {"table": {row.name: row for row in table}})


def tidy_metavars(command: Command, recurse: bool = True) -> None:
    """What `--help` shows after an option: nothing after a flag (`--yes`, not `--yes <bool>`)
    and the option's name for a plain text or number (`--region REGION`, not `<str>`); an
    explicit metavar is kept. typer's default shows the Python type, which teaches nothing."""
    params = list(command.params)
    helper = command.get_help_option(_ClickContext(command))
    for param in [*params, *([helper] if helper is not None else [])]:
        if param.param_type_name == "argument":
            # Its name (PLAYBOOK) is shown already; typer would add its Python type beside it.
            setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010
            continue
        if param.metavar is not None or not param.opts:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        elif _annotation(param) in (str, int, float) and param.name:
            param.metavar = param.name.upper()
    for child in getattr(command, "commands", {}).values() if recurse else ():
        tidy_metavars(child)


def _annotation(param: Any) -> Any:
    descriptor = getattr(param, "type_descriptor", None)
    return getattr(descriptor, "annotation", None)
