"""Who approved (drctl/failover/approval.py): a person is their AWS principal, normalised; the
OS account decides only between two people behind one principal; LOGNAME/USER count for nothing.
Decisions are journaled through the engine, so subscribers see them."""

from __future__ import annotations

import os
import pwd
from datetime import UTC, datetime

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import Blocked, InvalidInput
from drctl.core.events import Event
from drctl.core.identity import Identity, Owner
from drctl.core.run import run_lease_name
from drctl.failover.approval import UNKNOWN_AWS, Person, current_person, decide
from drctl.store.memory import MemoryStore
from tests.unit.helpers import T0

ALICE = Person("alice", "arn:aws:iam::123456789012:user/alice")


def waiting_for_approval(executor: Person) -> tuple[Engine, list[Event]]:
    seen: list[Event] = []
    store = MemoryStore()
    engine = Engine(store, FakeClock(T0), [seen.append])
    store.append(Event("fo-1", "run_started", T0, data={
        "kind": "failover", "params": {}, "user": executor.user, "host": "elsewhere",
        "pid": 1}))
    store.append(Event("fo-1", "step_started", T0, "confirm", {"index": 2, "total": 6}))
    store.append(Event("fo-1", "run_waiting", T0, "confirm",
                       {"reason": "approval", "executor": executor.to_dict()}))
    return engine, seen


def approve(engine: Engine, approver: Person) -> Event:
    return decide(engine, "fo-1", approver, approve=True, reason="ok", allow_self=False)


def test_the_executor_may_not_approve_whatever_their_os_account_is_called() -> None:
    engine, _ = waiting_for_approval(ALICE)
    # Same AWS principal; LOGNAME=bob would at most rename the OS account: still alice.
    with pytest.raises(Blocked, match="may not approve"):
        approve(engine, Person("alice", "arn:aws:iam::123456789012:user/alice"))


def test_one_principal_seen_through_two_sessions_or_spellings_is_one_person() -> None:
    executor = Person("sre", "arn:aws:sts::123456789012:assumed-role/OnCall/alice")
    engine, _ = waiting_for_approval(executor)
    with pytest.raises(Blocked):
        approve(engine, Person("sre", "arn:aws:sts::123456789012:assumed-role/oncall/alice"))


def test_another_session_of_the_same_role_is_another_person() -> None:
    engine, seen = waiting_for_approval(
        Person("sre", "arn:aws:sts::123456789012:assumed-role/OnCall/alice"))
    event = approve(engine, Person("sre", "arn:aws:sts::123456789012:assumed-role/OnCall/bob"))
    assert event.type == "approval_granted"
    assert [e.type for e in seen] == ["approval_granted"]  # through the engine: subscribers see it
    assert event.data["by"]["principal"] == "123456789012:assumed-role/oncall/bob"


def test_behind_one_shared_principal_the_os_account_decides() -> None:
    shared = "arn:aws:sts::123456789012:assumed-role/bastion/i-0abc"
    engine, _ = waiting_for_approval(Person("alice", shared))
    assert approve(engine, Person("bob", shared)).type == "approval_granted"


def test_another_principal_is_another_person_even_with_the_same_os_account() -> None:
    engine, _ = waiting_for_approval(ALICE)
    assert approve(engine, Person("alice", "arn:aws:iam::123456789012:user/approver")).data[
        "by"]["aws"].endswith("user/approver")


def test_an_approver_aws_cannot_name_is_refused() -> None:
    engine, _ = waiting_for_approval(ALICE)
    with pytest.raises(Blocked, match="cannot tell who is approving"):
        approve(engine, Person("bob", UNKNOWN_AWS))


def test_a_journal_written_before_principals_still_compares_by_principal() -> None:
    old = {"user": "alice", "aws": "arn:aws:iam::123456789012:user/Alice"}  # no "principal"
    assert Person(**old).same_as(ALICE)


def test_the_current_person_is_the_uids_account_and_the_identitys_principal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "someone-else")
    monkeypatch.setenv("USER", "someone-else")
    me = Identity.of_this_process(lambda: "arn:aws:sts::1:assumed-role/OnCall/alice")
    person = current_person(aws=None, identity=me)  # type: ignore[arg-type]
    assert person.user == pwd.getpwuid(os.getuid()).pw_name
    assert (person.aws, person.principal) == ("arn:aws:sts::1:assumed-role/OnCall/alice",
                                              "1:assumed-role/oncall/alice")


def test_a_run_whose_process_is_gone_is_not_approved_it_is_resumed_first() -> None:
    """A controller SIGKILLed while its failover waited: `drctl approve` from the earlier
    notification answered 'approved' (exit 0) and nothing ran, until someone resumed it."""
    engine, _ = waiting_for_approval(ALICE)
    lease = engine.store.acquire_lease(run_lease_name("fo-1"), "fo-1", Owner("ops", "gone", 7),
                                       10, T0)
    assert lease.expired(datetime.now(UTC))       # its process stopped renewing it long ago
    with pytest.raises(InvalidInput, match="is interrupted") as refused:
        approve(engine, Person("bob", "arn:aws:iam::123456789012:user/bob"))
    assert refused.value.hint == "resume it: `drctl failover --resume fo-1 --takeover`, " \
                                 "then approve"
    assert [e.type for e in engine.store.events("fo-1")][-1] == "run_waiting"
