# The `drctl` script imports this package before anything else of drctl's: a stop signal from
# here on is recorded, not fatal (drctl/cli/early_signals.py).
from drctl.cli.early_signals import install_if_drctl_script

install_if_drctl_script()
