"""Signals become stop requests on the interruption port (drctl/core/interrupt.py).

The only place the CLI turns SIGINT, SIGTERM and SIGHUP into something the library reads:
Ctrl-C climbs the ladder (the first is graceful, the next hard); SIGTERM and SIGHUP are
graceful. The request is also raised at once into the main thread where the port allows it
(not into shielded code, once per strength), so a run blocked in an AWS call stops as a plain
Ctrl-C always stopped it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from drctl.core.interrupt import CTRL_C, Interruption, StopRequest

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def request_for(port: Interruption, signum: int) -> StopRequest:
    """Record what `signum` asks for on `port`."""
    if signum == signal.SIGINT:
        return port.escalate(CTRL_C)
    return port.request_stop(signal.Signals(signum).name)


@contextmanager
def stops_from_signals(port: Interruption, held: Callable[[StopRequest], None] | None = None
                       ) -> Iterator[Interruption]:
    """While inside, SIGINT/SIGTERM/SIGHUP feed `port`; `held(request)` is told of a signal
    that was recorded but not raised (the code running was shielded, or already stopping).
    Off the main thread (where Python cannot install handlers) it does nothing: the host
    stops runs through the port itself."""
    if threading.current_thread() is not threading.main_thread():
        yield port
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        request = request_for(port, signum)
        interruption = port.deliverable()
        if interruption is not None:
            raise interruption
        if held is not None:
            held(request)

    previous = {signum: signal.signal(signum, handle) for signum in SIGNALS}
    try:
        yield port
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
