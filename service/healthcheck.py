"""The container's HEALTHCHECK: `python -m service.healthcheck` exits 0 when /healthz answers 200.

Slim images carry no curl; this needs only the standard library and the same OPTISCOPE_ settings as
the server, so it probes the port the server was told to use.
"""

from __future__ import annotations

import sys
import urllib.request

from .settings import get_settings


def main(timeout: float = 3.0) -> int:
    settings = get_settings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host:
        host = f"[{host}]"
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.port}/healthz", timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
