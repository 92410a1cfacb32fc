"""The commands drctl prints in its hints, as argv, so a test can run each one as printed."""

from __future__ import annotations

import shlex


def hinted(text: str, command: str) -> list[str]:
    """The arguments of the first `drctl …` in backticks in `text` that starts with
    `drctl COMMAND` (without the leading `drctl`)."""
    for quoted in text.split("`")[1::2]:
        if quoted.startswith(f"drctl {command}"):
            return shlex.split(quoted)[1:]
    raise AssertionError(f"no `drctl {command} …` in {text!r}")
