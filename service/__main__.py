"""The server, as the container runs it: `python -m service`. With arguments, the `optiscope` command line
(`python -m service serve --port 8001`): they were silently ignored, and the server started on its usual port.

Host, port, workers, log level and format come from the OPTISCOPE_ settings. On SIGTERM the server
stops accepting connections, lets the requests in flight finish (up to OPTISCOPE_SHUTDOWN_TIMEOUT
seconds), then exits.
"""

from __future__ import annotations

import sys

from .logs import logging_config
from .settings import Settings, SettingsError, get_settings


def run(settings: Settings) -> None:
    """Serve `service.main:app` on the settings' host, port and workers, with their logging and graceful
    shutdown (`optiscope serve` puts its options into the settings first)."""
    import uvicorn

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


def main() -> None:
    if sys.argv[1:]:
        from .cli import main as command_line

        sys.exit(command_line(sys.argv[1:]))
    try:
        settings = get_settings()
    except SettingsError as exc:
        sys.exit(f"optiscope: error: {exc}")
    run(settings)


if __name__ == "__main__":
    main()
