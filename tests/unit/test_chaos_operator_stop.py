"""The operator's Ctrl-C inside the experiment's process: pauses end at once, rollbacks are
only cut short by the second Ctrl-C."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from drctl.chaos.operator_stop import InterruptiblePauses, OperatorStop


@dataclass
class Phase:
    armed: bool = True
    stop: object = None


def stop(graceful: bool = False, hard: bool = False) -> OperatorStop:
    events = OperatorStop(threading.Event(), threading.Event())
    if graceful:
        events.graceful.set()
    if hard:
        events.hard.set()
    return events


def test_a_pause_without_a_stop_lasts_its_time() -> None:
    began = time.monotonic()

    InterruptiblePauses(stop(), Phase()).sleep(0.25)

    assert time.monotonic() - began >= 0.25


def test_a_graceful_stop_ends_a_pause_with_chaoslibs_graceful_exit_code() -> None:
    events = stop()
    threading.Timer(0.1, events.graceful.set).start()
    began = time.monotonic()

    with pytest.raises(SystemExit) as exit_:
        InterruptiblePauses(events, Phase()).sleep(30)

    assert exit_.value.code == 20 and time.monotonic() - began < 2


def test_a_graceful_stop_does_not_cut_a_rollbacks_pause() -> None:
    # Longer than several of the pause's polls: a pause cut short (or skipped) fails this.
    began = time.monotonic()

    InterruptiblePauses(stop(graceful=True), Phase(armed=False)).sleep(0.35)

    assert time.monotonic() - began >= 0.35


def test_a_hard_stop_cuts_everything_without_rollbacks() -> None:
    with pytest.raises(SystemExit) as exit_:
        InterruptiblePauses(stop(graceful=True, hard=True), Phase(armed=False)).sleep(30)

    assert exit_.value.code == 30


def test_other_time_functions_are_the_real_ones() -> None:
    assert InterruptiblePauses(stop(), Phase()).monotonic is time.monotonic


def test_a_halt_or_stop_alarm_ends_a_pause_like_a_graceful_stop() -> None:
    phase = Phase()
    threading.Timer(0.1, lambda: setattr(phase, "stop", "kill switch engaged")).start()
    began = time.monotonic()

    with pytest.raises(SystemExit) as exit_:
        InterruptiblePauses(stop(), phase).sleep(30)

    assert exit_.value.code == 20 and time.monotonic() - began < 2
