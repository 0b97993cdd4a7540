"""The `optiscope` command line: serve, simulate, optimizers, schedules.

Commands run the service's own code in this process by default; `--url` sends them to a server.
"""

from ._main import main

__all__ = ["main"]
