"""Is a restored RDS instance a faithful copy of its source, and does its data check pass?

The instance checks (engine, version, storage, encryption, option group) read only metadata,
and compare a snapshot restore with what the snapshot recorded. The data is checked by the
playbook's hook -- a command or an HTTP check -- because drctl does not log in to databases.
(The sandbox's RDS is metadata only and holds no rows: its hook can only prove the instance
has an address; on real AWS the hook queries the data.)
"""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import suppress
from typing import Any

import httpx

from drctl.aws.rds_restore import DbProfile
from drctl.drill.spec import HookRunner
from drctl.playbook.schema import ValidationHook


def check_instance(source: DbProfile, restored: DbProfile, recorded: dict[str, Any] | None,
                   hook: ValidationHook | None, region: str, run_hook: HookRunner,
                   http: httpx.Client | None = None) -> dict[str, Any]:
    """The validation record: `passed`, `problems`, the compared `attributes`, the hook's.

    A snapshot restore must match what the snapshot recorded (`recorded`: engine, version,
    storage, encryption and KMS key, option group) -- not today's source, which may have grown
    or been upgraded since. Every difference from today's source is reported as information
    (`source_differences`), and for a point-in-time restore (`recorded` None) that is all.
    """
    got = restored.comparable()
    # A field the snapshot does not record (None) cannot be held against the restore.
    want = {k: v for k, v in (recorded or {}).items() if v is not None}
    mismatches = {k: {"snapshot": want[k], "restored": got.get(k)} for k in want
                  if want[k] != got.get(k)}
    problems = [f"{k}: the snapshot recorded {v['snapshot']!r}, restored {v['restored']!r}"
                for k, v in mismatches.items()]
    if restored.status != "available":
        problems.append(f"instance status is {restored.status}, not available")
    hook_result = None
    if hook is not None:
        hook_result = _run(hook, restored, region, run_hook, http)
        if not hook_result["passed"]:
            problems.append(f"validation hook failed: {hook_result['detail']}")
    today = source.comparable()
    return {"type": "rds-instance", "passed": not problems, "problems": problems,
            "attributes": got, "compared_with": "snapshot" if recorded else "nothing",
            "mismatches": mismatches,
            "source_differences": {k: {"source": today[k], "restored": got[k]} for k in today
                                   if today[k] != got[k]},
            "hook": hook_result, "data_checked": hook is not None}


def _run(hook: ValidationHook, db: DbProfile, region: str, run_hook: HookRunner,
         http: httpx.Client | None,
         ) -> dict[str, Any]:
    values = {"address": db.address or "", "port": str(db.port or ""),
              "instance": db.identifier}
    if hook.command is not None:
        env = {"DRCTL_DRILL_DB_ADDRESS": values["address"], "DRCTL_DRILL_DB_PORT": values["port"],
               "DRCTL_DRILL_DB_INSTANCE": values["instance"], "DRCTL_DRILL_REGION": region}
        code, output = run_hook(hook.command, env, hook.timeout)
        return {"command": hook.command, "passed": code == 0, "exit_code": code,
                "detail": f"exit {code}: {output}" if code else output}
    assert hook.http is not None
    url = hook.http.format(**values)
    try:
        get = http.get if http is not None else httpx.get
        status = get(url, timeout=hook.timeout).status_code
    except httpx.HTTPError as exc:
        return {"http": url, "passed": False, "detail": f"{type(exc).__name__}: {exc}"}
    return {"http": url, "passed": status == hook.expect_status, "status": status,
            "detail": f"HTTP {status} (want {hook.expect_status})"}


def run_command(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run a hook command; (exit code, the last 500 characters of its output). 124 on timeout,
    127 when it cannot be started.

    The hook runs in its own process group, and on timeout the whole group is killed: a shell
    hook's children (`sh -c 'psql ...; sleep 30'`) must not outlive it, reparented to init.
    """
    try:
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   text=True, start_new_session=True)
    except OSError as exc:
        return 127, str(exc)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return 124, f"timed out after {timeout:.0f}s"
    except BaseException:  # Ctrl-C or SIGTERM while the hook runs: leave nothing behind
        _kill_group(process)
        raise
    return process.returncode, output.strip()[-500:]


def _kill_group(process: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
