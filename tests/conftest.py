from __future__ import annotations

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
