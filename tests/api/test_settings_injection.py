"""How routes get their settings: the app's own (create_app), an override, or the environment's."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api import simulate
from service.api.deps import app_settings
from service.api.metrics import Metrics
from service.main import create_app
from service.settings import Settings

TUTORIAL_STEPS = 50  # the default request simulates 50 steps


def steps_refused(response) -> bool:
    return response.status_code == 422 and response.json()["detail"][0]["type"] == "limit_exceeded"


def test_the_app_serves_the_settings_it_was_built_with_without_overriding_dependencies():
    app = create_app(Settings(max_steps=TUTORIAL_STEPS - 1))
    assert app.dependency_overrides == {}  # any override slows every request down (see api/deps.py)
    assert steps_refused(TestClient(app).post("/simulate", json={}))
    assert TestClient(create_app(Settings(max_steps=TUTORIAL_STEPS))).post("/simulate", json={}).status_code == 200


def test_tests_can_still_override_the_settings_dependency():
    app = create_app(Settings())
    app.dependency_overrides[app_settings] = lambda: Settings(max_steps=TUTORIAL_STEPS - 1)
    assert steps_refused(TestClient(app).post("/simulate", json={}))
    app.dependency_overrides.clear()
    assert TestClient(app).post("/simulate", json={}).status_code == 200


def test_an_app_without_settings_of_its_own_reads_the_environment(monkeypatch):
    from service.settings import get_settings

    monkeypatch.setenv("OPTISCOPE_MAX_STEPS", str(TUTORIAL_STEPS - 1))
    get_settings.cache_clear()
    try:
        app = FastAPI()  # like scripts/loadtest_bare_app.py: the router alone, nothing on app.state.settings
        app.state.metrics = Metrics()
        app.include_router(simulate.router)
        assert steps_refused(TestClient(app).post("/simulate", json={}))
    finally:
        get_settings.cache_clear()
