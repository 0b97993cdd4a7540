from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from service.client import AsyncOptiscopeClient, OptiscopeClient
from service.main import create_app
from service.settings import Settings
from tests.servers import ASGIBridge

URL = "http://optiscope.test"
FAST = {"backoff": 0.001, "max_backoff": 0.004}  # retries without slowing the suite


def make_app(**settings):
    return create_app(Settings(**settings))


@pytest.fixture
def sync_client():
    """OptiscopeClient calling the real app in-process; make more with sync_client_with(**settings)."""
    bridge = ASGIBridge(create_app())
    with OptiscopeClient(URL, transport=bridge) as client:
        yield client
    bridge.close()


@pytest.fixture
def async_client():
    return AsyncOptiscopeClient(URL, transport=httpx.ASGITransport(app=create_app()))


class Flaky(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Counts attempts; the first failures answer with `fail` (an exception to raise, or a status code),
    later ones go to `then` (a transport or a handler returning a Response)."""

    def __init__(self, failures: int, fail, then) -> None:
        self.failures = failures
        self.fail = fail
        self.then = then
        self.attempts = 0
        self.requests: list[httpx.Request] = []

    def _failure(self, request: httpx.Request) -> httpx.Response | None:
        self.attempts += 1
        self.requests.append(request)
        if self.attempts > self.failures:
            return None
        if isinstance(self.fail, int):
            return httpx.Response(self.fail, json={"detail": "try again"}, headers={"retry-after": "0"})
        raise self.fail("connection refused", request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        failed = self._failure(request)
        if failed is not None:
            return failed
        return self.then.handle_request(request) if hasattr(self.then, "handle_request") else self.then(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        failed = self._failure(request)
        if failed is not None:
            return failed
        if hasattr(self.then, "handle_async_request"):
            return await self.then.handle_async_request(request)
        return self.then(request)


Answer = Callable[[httpx.Request], httpx.Response]
