from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings, current_settings


@pytest.fixture(scope="session")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def client_with(request):
    """A client whose app runs with overridden settings: client_with(max_steps=10)."""

    def make(**overrides) -> TestClient:
        app = create_app()
        app.dependency_overrides[current_settings] = lambda: Settings(**overrides)
        return TestClient(app)

    return make
