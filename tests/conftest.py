from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


@pytest.fixture(scope="session")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def client_with(request):
    """A client whose app (routes and middleware) runs with overridden settings: client_with(max_steps=10)."""

    def make(**overrides) -> TestClient:
        return TestClient(create_app(Settings(**overrides)))

    return make


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """A real uvicorn server (`optiscope serve`) on a free loopback port for the whole session; its URL."""
    from tests.servers import free_port, running_server, serve_command

    port = free_port()
    with running_server(serve_command(port), port) as url:
        yield url
