"""The `optiscope` command line: serve, simulate, sweep, optimizers, schedules, objectives.

Commands run the service's own code in this process by default; `--url` sends them to a server.
"""

from ._main import main

__all__ = ["main"]
