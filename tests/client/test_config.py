"""URL, API key and timeout: arguments first, then OPTISCOPE_URL / OPTISCOPE_API_KEY / OPTISCOPE_TIMEOUT."""

from __future__ import annotations

import httpx
import pytest

from service import __version__
from service.client import DEFAULT_URL, AsyncOptiscopeClient, OptiscopeClient


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("OPTISCOPE_URL", "OPTISCOPE_API_KEY", "OPTISCOPE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def recorder():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    return seen, httpx.MockTransport(answer)


def test_defaults_without_environment(clean_env):
    seen, transport = recorder()
    with OptiscopeClient(transport=transport) as client:
        client.health()
    assert DEFAULT_URL == "http://127.0.0.1:8000"
    assert (client.url, client.timeout) == (DEFAULT_URL, 60.0)
    assert str(seen[0].url) == "http://127.0.0.1:8000/healthz"
    assert "x-api-key" not in seen[0].headers
    assert seen[0].headers["user-agent"] == f"optiscope-client/{__version__}"


def test_environment_sets_url_key_and_timeout(clean_env):
    clean_env.setenv("OPTISCOPE_URL", "http://optiscope.internal:9000/")
    clean_env.setenv("OPTISCOPE_API_KEY", "s3cret")
    clean_env.setenv("OPTISCOPE_TIMEOUT", "7.5")
    seen, transport = recorder()
    with OptiscopeClient(transport=transport) as client:
        client.health()
    assert (client.url, client.timeout) == ("http://optiscope.internal:9000", 7.5)
    assert str(seen[0].url) == "http://optiscope.internal:9000/healthz"
    assert seen[0].headers["x-api-key"] == "s3cret"


@pytest.mark.anyio
async def test_arguments_win_over_the_environment(clean_env):
    clean_env.setenv("OPTISCOPE_URL", "http://from-env:1")
    clean_env.setenv("OPTISCOPE_API_KEY", "from-env")
    seen, transport = recorder()
    async with AsyncOptiscopeClient("http://from-arg:2", api_key="from-arg", timeout=3, transport=transport) as client:
        await client.health()
    assert (client.url, client.timeout) == ("http://from-arg:2", 3)
    assert seen[0].headers["x-api-key"] == "from-arg"
    assert repr(client) == "AsyncOptiscopeClient('http://from-arg:2')"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("OPTISCOPE_TIMEOUT", "soon", "OPTISCOPE_TIMEOUT must be a number of seconds, got 'soon'"),
        ("OPTISCOPE_URL", "127.0.0.1:8000", "must start with http:// or https://, got '127.0.0.1:8000'"),
    ],
)
def test_bad_environment_says_which_variable(clean_env, variable, value, says):
    clean_env.setenv(variable, value)
    with pytest.raises(ValueError, match=says):
        OptiscopeClient()
