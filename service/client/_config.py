"""Where the client connects and how it retries: arguments first, then environment variables.

OPTISCOPE_URL      base URL of the service (default http://127.0.0.1:8000)
OPTISCOPE_API_KEY  sent as the X-API-Key header when set
OPTISCOPE_TIMEOUT  seconds to wait for an answer (default 60)
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str | None
    timeout: float


def resolve(
    url: str | None, api_key: str | None, timeout: float | None, environ: Mapping[str, str] | None = None
) -> Connection:
    env = os.environ if environ is None else environ
    url = url or env.get("OPTISCOPE_URL") or DEFAULT_URL
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"the Optiscope URL must start with http:// or https://, got {url!r}")
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL as exc:
        raise ValueError(f"the Optiscope URL {url!r} is not a valid URL: {exc}") from None
    if not host:
        raise ValueError(f"the Optiscope URL names no host: {url!r}")
    if timeout is None:
        raw = env.get("OPTISCOPE_TIMEOUT")
        try:
            timeout = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(f"OPTISCOPE_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"the timeout must be a positive number of seconds (not infinite), got {timeout!r}")
    return Connection(url=url.rstrip("/"), api_key=api_key or env.get("OPTISCOPE_API_KEY") or None, timeout=timeout)


@dataclass(frozen=True)
class Retry:
    """Exponential backoff with jitter: before retry n (0-based) wait a random time in [d/2, d] with
    d = min(max_backoff, backoff * 2**n); a 503's Retry-After is honoured up to max_backoff. At most
    `retries` retries follow the first attempt, so a call waits at most retries * max_backoff in total."""

    retries: int = 3
    backoff: float = 0.25
    max_backoff: float = 4.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, got {self.retries}")
        if not 0 <= self.backoff <= self.max_backoff:
            raise ValueError(f"need 0 <= backoff <= max_backoff, got backoff={self.backoff}, max={self.max_backoff}")

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after is not None:
            try:
                return min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)
