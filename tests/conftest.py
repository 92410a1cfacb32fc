"""Suite-wide set-up: the test process logs like drctl does by default (warnings and up)."""

from drctl.cli.logs import configure_logging

configure_logging(0)
