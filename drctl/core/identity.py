"""Who and where this process is: one injected object, worked out once.

- `user`: the account name of the process's uid (`pwd`), never `LOGNAME`/`USER`, which anyone
  can set to anything (`getpass.getuser()` reads them first);
- `host`, `pid`;
- `start_token`: tells this process from an earlier one that had the same pid. In a container
  the controller is pid 1 on every restart; the token (kernel boot id + the pid's start time)
  differs, so a dead run's owner is not taken for the live newcomer;
- `principal`: the AWS caller, normalised (`Principal`), looked up once on first use. It is
  what identifies a person for approvals: it cannot be changed by setting a variable.

An owner (journaled with `run_started`/`run_resumed` and in lock holders) is `Owner`: the part
of an identity another process can check.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")


@dataclass(frozen=True)
class Principal:
    """An AWS caller, normalised so two sessions of one person compare equal and two people
    behind one role (different session names) do not.

    `key` is `ACCOUNT:user/NAME`, `ACCOUNT:assumed-role/ROLE/SESSION`, `ACCOUNT:root`, … with
    IAM names lower-cased (IAM names are unique case-insensitively) and paths dropped.
    """

    arn: str
    key: str

    @classmethod
    def from_arn(cls, arn: str) -> Principal:
        return cls(arn, normalise_arn(arn))


UNKNOWN_PRINCIPAL = Principal("unknown AWS identity", "unknown")


def normalise_arn(arn: str) -> str:
    """`arn:aws:sts::123:assumed-role/Ops/alice` -> `123:assumed-role/ops/alice`;
    `arn:aws:iam::123:user/team/Bob` -> `123:user/bob`. Anything else is kept as is."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return arn
    account, resource = parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role" and "/" in rest:
        role, session = rest.split("/", 1)
        return f"{account}:assumed-role/{role.lower()}/{session}"
    if kind in ("user", "role", "federated-user") and rest:
        return f"{account}:{kind}/{rest.rsplit('/', 1)[-1].lower()}"
    return f"{account}:{resource}"


@dataclass(frozen=True)
class Owner:
    """The process that holds a run or a lock, as journaled."""

    user: str
    host: str
    pid: int
    start_token: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Owner:
        return cls(str(data.get("user") or ""), str(data.get("host") or ""),
                   int(data.get("pid") or 0), data.get("start_token"))

    def describe(self) -> str:
        return f"{self.user} on {self.host} (pid {self.pid})"


class Identity:
    """This process. Build it once (the composition root) and pass it down."""

    def __init__(self, user: str, host: str, pid: int, start_token: str,
                 caller_arn: Callable[[], str] | None = None) -> None:
        self.user, self.host, self.pid, self.start_token = user, host, pid, start_token
        self._caller_arn = caller_arn
        self._principal: Principal | None = None
        self._lock = threading.Lock()

    @classmethod
    def of_this_process(cls, caller_arn: Callable[[], str] | None = None) -> Identity:
        """`caller_arn` asks AWS who we are (STS); it is called at most once, when needed."""
        pid = os.getpid()
        return cls(account_name(os.getuid()), socket.gethostname(), pid,
                   start_token(pid) or f"random:{secrets.token_hex(8)}", caller_arn)

    @property
    def owner(self) -> Owner:
        return Owner(self.user, self.host, self.pid, self.start_token)

    @property
    def process_key(self) -> str:
        """This process among all processes of all hosts, ever: a lease holder's name."""
        return f"{self.host}:{self.pid}:{self.start_token}"

    def principal(self) -> Principal:
        """The AWS caller, normalised; UNKNOWN_PRINCIPAL when there is no way to ask.
        Errors of the lookup propagate (and are asked again next time)."""
        with self._lock:
            if self._principal is None:
                if self._caller_arn is None:
                    return UNKNOWN_PRINCIPAL
                self._principal = Principal.from_arn(self._caller_arn())
            return self._principal

    def on_this_host(self, owner: Owner) -> bool:
        return owner.host == self.host

    def owner_alive(self, owner: Owner) -> bool | None:
        """True/False for an owner on this host (its pid lives and is the same process);
        None when it is on another host: a process cannot see another host's processes."""
        if not self.on_this_host(owner):
            return None
        if owner.pid == self.pid and owner.start_token in (None, self.start_token):
            return True
        if owner.pid <= 0 or not pid_alive(owner.pid):
            return False
        if owner.start_token is None or owner.start_token.startswith("random:"):
            return True  # journaled before tokens, or no /proc: the pid is all we know
        return start_token(owner.pid) == owner.start_token


def account_name(uid: int) -> str:
    """The uid's account name; the number itself when the uid has no passwd entry
    (a container run with an arbitrary --user)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def start_token(pid: int) -> str | None:
    """`BOOT_ID:START_TICKS` of a live pid on this host, or None when /proc cannot say."""
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 22 (starttime) counts from after the `(comm)` field, which may hold spaces.
    fields = stat[stat.rfind(")") + 2:].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    """Is `pid` a live (not zombie) process on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        stat = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"
