"""The server, as the container runs it: `python -m service`.

Host, port, workers, log level and format come from the OPTISCOPE_ settings. On SIGTERM the server
stops accepting connections, lets the requests in flight finish (up to OPTISCOPE_SHUTDOWN_TIMEOUT
seconds), then exits.
"""

from __future__ import annotations

import uvicorn

from .logs import logging_config
from .settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "service.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=logging_config(settings.log_level, settings.log_format),
        log_level=settings.log_level,
        access_log=False,  # the telemetry middleware writes one structured line per request
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


if __name__ == "__main__":
    main()
