"""Suite-wide set-up: the test process logs like drctl does by default (warnings and up), and
drctl's per-user default journal ($XDG_STATE_HOME/drctl) is a temporary directory, so no test
(nor a drctl it starts) reads or writes the journal of the person running the suite."""

import atexit
import os
import shutil
import tempfile

from drctl.cli.logs import configure_logging

configure_logging(0)
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="drctl-tests-state-")
atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], ignore_errors=True)
