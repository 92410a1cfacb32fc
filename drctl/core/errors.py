"""The one exception tree of drctl. Every class carries the exit code the CLI returns for it.

    DrctlError (1)                      the operation failed
    ├── InvalidInput (2)                bad flags, bad playbook, unknown region ...
    │   ├── PlaybookError (2)           with file:line
    │   └── ResourceMissing (2)         a resource the playbook names does not exist
    ├── NotConfirmed (3)                the operator did not confirm, or there is no TTY to ask
    ├── Blocked (4)                     a lock is held, a guard alarm fires, the kill switch is on
    ├── AwsError (1)                    an AWS call failed (translated at the adapter boundary)
    ├── StepFailed (1)                  a step could not reach its verified state
    └── SandboxError (1)                the embedded sandbox could not start or answer
"""

from __future__ import annotations


class DrctlError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.run_id: str | None = None  # set when the error ended a journaled run

    def __str__(self) -> str:
        return self.message


class InvalidInput(DrctlError):
    exit_code = 2


class PlaybookError(InvalidInput):
    """A playbook that cannot be used. `location` is `file:line` when it is known."""

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.location = location
        # Every problem found, each `file:line: message` (a playbook may have several).
        self.problems: list[str] = [self.message]


class ResourceMissing(InvalidInput):
    exit_code = 2


class NotConfirmed(DrctlError):
    exit_code = 3


class Blocked(DrctlError):
    exit_code = 4


class AwsError(DrctlError):
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code = code


class StepFailed(DrctlError):
    exit_code = 1


class SandboxError(DrctlError):
    exit_code = 1


class UnknownRun(InvalidInput):
    """No run with that id (or id prefix) in the store."""
