"""Chaos Toolkit actions (python provider, `module: drctl.sandbox.chaos_actions`) that turn the
embedded sandbox's fault knobs: API latency, errors and throttling in front of moto.

They work only against a drctl sandbox (`eval "$(drctl sandbox env)"` exports
`DRCTL_SANDBOX_STATE_DIR`); on real AWS use AWS FIS instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from drctl.core.errors import InvalidInput
from drctl.sandbox import manager


def inject_api_faults(latency_ms: int = 0, error_rate: float = 0.0,
                      throttle: dict[str, float] | None = None) -> dict[str, Any]:
    """Slow every API call by `latency_ms`, fail `error_rate` of them with a 5xx, and throttle
    the named services to N requests per second (`{"dynamodb": 5.0}`). Returns the sandbox's
    fault state."""
    return dict(manager.set_faults(_sandbox(), latency_ms=latency_ms, error_rate=error_rate,
                                   throttle=throttle or {}))


def clear_api_faults() -> dict[str, Any]:
    """Remove every injected fault. Safe to call when none is injected."""
    return dict(manager.clear_faults(_sandbox()))


def _sandbox() -> Path:
    state_dir = os.environ.get("DRCTL_SANDBOX_STATE_DIR")
    if not state_dir:
        raise InvalidInput("no drctl sandbox in the environment (DRCTL_SANDBOX_STATE_DIR)",
                           hint='eval "$(drctl sandbox env)"')
    return Path(state_dir)
