"""Identity (drctl/core/identity.py): who and where this process is, and whether an owner lives."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import sys

import pytest

from drctl.core.identity import Identity, Owner, Principal, normalise_arn, start_token


def test_user_is_the_uids_account_whatever_logname_and_user_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "someone-else")
    monkeypatch.setenv("USER", "someone-else")
    me = Identity.of_this_process()
    assert me.user == pwd.getpwuid(os.getuid()).pw_name != "someone-else"
    assert (me.host, me.pid) == (socket.gethostname(), os.getpid())


def test_the_start_token_is_stable_for_a_process_and_differs_between_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine, theirs = start_token(os.getpid()), start_token(child.pid)
        assert mine is not None and mine == start_token(os.getpid())
        assert theirs is not None and theirs != mine
    finally:
        child.kill()
        child.wait()


def test_an_owner_with_this_pid_but_another_start_token_is_dead() -> None:
    # A container restarted: pid 1 again, but not the process that owned the run.
    me = Identity.of_this_process()
    earlier = Owner(me.user, me.host, me.pid, start_token="an-earlier-boot:123")
    assert me.owner_alive(earlier) is False
    assert me.owner_alive(me.owner) is True


def test_a_live_owner_process_on_this_host_is_alive_and_a_reaped_one_dead() -> None:
    me = Identity.of_this_process()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    owner = Owner("sre", me.host, child.pid, start_token(child.pid))
    try:
        assert me.owner_alive(owner) is True
    finally:
        child.kill()
        child.wait()
    assert me.owner_alive(owner) is False


def test_an_owner_journaled_before_start_tokens_is_judged_by_its_pid() -> None:
    me = Identity.of_this_process()
    assert me.owner_alive(Owner("sre", me.host, os.getpid())) is True
    assert me.owner_alive(Owner("sre", me.host, 2**22 + 77)) is False


def test_an_owner_on_another_host_cannot_be_judged_from_here() -> None:
    assert Identity.of_this_process().owner_alive(Owner("sre", "elsewhere", 1, "x:1")) is None


def test_owners_round_trip_through_the_journal_form() -> None:
    owner = Owner("sre", "host-a", 42, "boot:99")
    assert Owner.from_dict(owner.to_dict()) == owner
    assert Owner.from_dict({"user": "sre", "host": "h", "pid": 7}) == Owner("sre", "h", 7)


@pytest.mark.parametrize(("arn", "key"), [
    ("arn:aws:iam::123456789012:user/alice", "123456789012:user/alice"),
    ("arn:aws:iam::123456789012:user/team/Alice", "123456789012:user/alice"),
    ("arn:aws:sts::123456789012:assumed-role/OnCall/alice@example.com",
     "123456789012:assumed-role/oncall/alice@example.com"),
    ("arn:aws:sts::123456789012:assumed-role/OnCall/bob", "123456789012:assumed-role/oncall/bob"),
    ("arn:aws:iam::123456789012:root", "123456789012:root"),
    ("arn:aws-cn:sts::123456789012:federated-user/Carol", "123456789012:federated-user/carol"),
    ("not an arn", "not an arn"),
])
def test_principals_are_normalised(arn: str, key: str) -> None:
    assert normalise_arn(arn) == key


def test_two_sessions_of_one_role_are_two_principals() -> None:
    alice = Principal.from_arn("arn:aws:sts::1:assumed-role/OnCall/alice")
    bob = Principal.from_arn("arn:aws:sts::1:assumed-role/OnCall/bob")
    assert alice.key != bob.key
    assert alice.key == Principal.from_arn("arn:aws:sts::1:assumed-role/oncall/alice").key


def test_the_principal_is_asked_once_on_first_use() -> None:
    calls: list[int] = []

    def caller_arn() -> str:
        calls.append(1)
        return "arn:aws:iam::1:user/alice"

    me = Identity.of_this_process(caller_arn)
    assert calls == []
    assert me.principal().key == me.principal().key == "1:user/alice"
    assert calls == [1]
