"""`drctl` (a drctl command as a sub-run, its run id and measurement recorded) and `shell`
(a command, refused unless the runbook's front matter says `allow_shell: true`).

Both run in this process group, so a Ctrl-C reaches the child as it reaches the runner.
"""

from __future__ import annotations

import json
import subprocess
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from drctl.core.errors import InvalidInput, StepFailed
from drctl.runbook.actions.base import ActionEnv, say_seconds
from drctl.runbook.model import StepBase

# drctl commands that only read: a step running one may be re-run safely.
READ_ONLY_COMMANDS = (("runs", "list"), ("runs", "show"), ("plan",), ("validate",),
                      ("iam-policy",), ("runbook", "list"), ("runbook", "lint"))
SUB_RUN_FIELDS = ("run_id", "kind", "status", "error", "rto_seconds", "rto_met", "rpo_seconds",
                  "rpo_met", "verdict")
# What a `drctl` step always outputs: the sub-run's fields (when it made one run), and the ids
# of every run it made.
SUB_RUN_OUTPUTS = (*SUB_RUN_FIELDS, "run_ids")


def _word(value: object) -> object:
    """A number rendered into a command is its text (`--count 3`)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Word = Annotated[str, BeforeValidator(_word)]


def run_process(argv: list[str], env: ActionEnv, what: str) -> subprocess.CompletedProcess[str]:
    timeout = env.left(3600.0)
    try:
        return subprocess.run(argv, env=env.env or None, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        bound = f"the step's timeout ({env.deadline.describe()})" \
            if env.deadline is not None and env.deadline.at is not None \
            else say_seconds(timeout)
        raise StepFailed(f"{what} did not finish within {bound} (stopped)") from None
    except OSError as exc:
        raise StepFailed(f"{what} could not start: {exc.strerror}") from None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Drctl(StepBase):
    TEMPLATED = ("command",)
    BUILTIN_OUTPUTS = SUB_RUN_OUTPUTS

    action: Literal["drctl"] = "drctl"
    command: list[Word] = Field(min_length=1, description="drctl arguments, e.g. [failover, "
                               "--region, us-west-2, --yes]")
    json_output: bool = Field(True, description="add --json and record the sub-run's id and "
                              "measurement from it (false for a command that writes a file)")

    @property
    def mutating(self) -> bool:
        return not any(tuple(self.command[:len(p)]) == p for p in READ_ONLY_COMMANDS)

    def describe(self) -> str:
        return "drctl " + " ".join(self.command)

    def execute(self, env: ActionEnv) -> Any:
        argv = [*env.drctl, *self.command]
        if self.json_output and "--json" not in argv:
            argv.append("--json")
        done = run_process(argv, env, self.describe())
        result = _document(done.stdout) if self.json_output else {"stdout": done.stdout}
        # A command that starts runs (not `runs list`) made sub-runs of this one.
        runs = [r for r in (result if isinstance(result, list) else [result])
                if isinstance(r, dict) and r.get("run_id")] if self.mutating else []
        for sub_run in runs:
            if env.ctx.journal:
                env.ctx.journal.emit("runbook_subrun", step=self.id,
                                     sub_run={k: sub_run.get(k) for k in SUB_RUN_FIELDS})
        if isinstance(result, list):  # several runs (a drill per target): each recorded
            result = runs[0] if len(runs) == 1 else {"runs": result}
        if isinstance(result, dict) and runs:
            result = {**result, "run_ids": [r["run_id"] for r in runs]}
        if done.returncode != 0:
            error = (result.get("error") if isinstance(result, dict) else None) \
                or _last_line(done.stderr)
            raise StepFailed(f"{self.describe()} exited {done.returncode}: {error}")
        return result


def _document(stdout: str) -> Any:
    """The command's one JSON document ({} when it printed none)."""
    try:
        return json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        return {}


class Shell(StepBase):
    TEMPLATED = ("command",)
    BUILTIN_OUTPUTS = ("exit_code", "stdout", "stderr")

    action: Literal["shell"] = "shell"
    command: list[Word] = Field(min_length=1)

    def describe(self) -> str:
        return " ".join(self.command)

    def execute(self, env: ActionEnv) -> Any:
        if not env.allow_shell:
            raise InvalidInput(f"step {self.id}: shell steps need `allow_shell: true` in the "
                               "runbook's front matter")
        done = run_process(list(self.command), env, self.describe())
        result = {"exit_code": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        if done.returncode != 0:
            raise StepFailed(f"{self.describe()} exited {done.returncode}: "
                             f"{_last_line(done.stderr)}")
        return result
