"""Retries: connection failures and 503 only, with bounded exponential backoff; never on 4xx."""

from __future__ import annotations

import httpx
import pytest

from service.client import (
    APIError,
    AuthenticationError,
    NotFoundError,
    OptiscopeClient,
    ServiceUnavailable,
    Timeout,
    TransportError,
    UnexpectedResponse,
    ValidationError,
)
from service.client._config import Retry
from service.main import create_app
from tests.client.conftest import FAST, URL, Flaky
from tests.servers import ASGIBridge


@pytest.fixture
def bridge():
    bridge = ASGIBridge(create_app())
    yield bridge
    bridge.close()


def client_over(transport, **options) -> OptiscopeClient:
    return OptiscopeClient(URL, transport=transport, **{**FAST, **options})


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError]
)
def test_connection_failures_are_retried_until_the_service_answers(bridge, error):
    flaky = Flaky(2, error, bridge)
    with client_over(flaky, retries=3) as client:
        assert client.health().status == "ok"
    assert flaky.attempts == 3


def test_connection_failures_beyond_the_retries_raise_transport_error(bridge):
    flaky = Flaky(10, httpx.ConnectError, bridge)
    with client_over(flaky, retries=2) as client, pytest.raises(TransportError) as caught:
        client.optimizers()
    assert flaky.attempts == 3
    assert type(caught.value) is TransportError
    message = str(caught.value)
    assert message.startswith(f"GET {URL}/optimizers: connection refused after 3 attempts")
    assert "optiscope serve" in message and "OPTISCOPE_URL" in message


def test_a_503_is_retried_and_then_the_answer_is_returned(bridge):
    flaky = Flaky(1, 503, bridge)
    with client_over(flaky) as client:
        result = client.simulate(optimizers=[{"name": "sgd"}])
    assert flaky.attempts == 2 and result.runs[0].name == "sgd"
    assert flaky.requests[0].content == flaky.requests[1].content == b'{"optimizers":[{"name":"sgd"}]}'


def test_a_lasting_503_raises_service_unavailable_after_the_retries(bridge):
    flaky = Flaky(10, 503, bridge)
    with client_over(flaky, retries=3) as client, pytest.raises(ServiceUnavailable) as caught:
        client.health()
    assert flaky.attempts == 4 and caught.value.status_code == 503 and caught.value.detail == "try again"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, APIError), (401, AuthenticationError), (404, NotFoundError), (422, ValidationError), (429, APIError)],
)
def test_client_errors_are_never_retried(status, kind):
    flaky = Flaky(10, status, None)
    with client_over(flaky, retries=5) as client, pytest.raises(kind) as caught:
        client.optimizers()
    assert flaky.attempts == 1 and caught.value.status_code == status


def test_a_422_from_the_service_is_not_retried(bridge):
    # The body is valid for the client's models but the route rejects it (a schedule undefined at a step).
    flaky = Flaky(0, None, bridge)
    schedule = {"kind": "onecycle", "pct_start": 0.1, "total_steps": 10}
    with client_over(flaky, retries=5) as client, pytest.raises(ValidationError) as caught:
        client.simulate_schedule(schedule=schedule, steps=10)
    assert flaky.attempts == 1
    assert caught.value.response is not None and caught.value.errors[0].type == "schedule_undefined"
    assert caught.value.errors[0].field == "schedule" and "undefined at step 1" in caught.value.errors[0].msg


def test_server_errors_other_than_503_are_not_retried():
    flaky = Flaky(0, None, lambda request: httpx.Response(500, text="Internal Server Error"))
    with client_over(flaky, retries=5) as client, pytest.raises(APIError) as caught:
        client.optimizers()
    assert flaky.attempts == 1
    assert (caught.value.status_code, caught.value.detail) == (500, "Internal Server Error")


def test_a_read_timeout_is_not_retried_and_says_how_to_wait_longer():
    flaky = Flaky(10, httpx.ReadTimeout, None)
    with client_over(flaky, timeout=2.5) as client, pytest.raises(Timeout) as caught:
        client.simulate()
    assert flaky.attempts == 1
    assert str(caught.value) == f"POST {URL}/simulate: no answer within 2.5 s (raise timeout= or OPTISCOPE_TIMEOUT)"


def test_an_answer_that_does_not_match_the_models_is_unexpected():
    flaky = Flaky(0, None, lambda request: httpx.Response(200, json={"steps": "many"}))
    with client_over(flaky) as client, pytest.raises(UnexpectedResponse, match="another version of Optiscope"):
        client.simulate()


def test_backoff_grows_exponentially_with_jitter_and_stays_bounded():
    retry = Retry(retries=6, backoff=0.5, max_backoff=3.0)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 3.0, 3.0, 3.0]):
        delays = [retry.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempt
        assert len(set(delays)) > 1  # jitter
    assert retry.delay(0, retry_after="2") == 2.0
    assert retry.delay(0, retry_after="120") == 3.0  # Retry-After is honoured only up to max_backoff
    assert 0.25 <= retry.delay(0, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") <= 0.5


def test_waits_between_retries_follow_the_policy(bridge, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("service.client._client.time.sleep", waits.append)
    flaky = Flaky(3, httpx.ConnectError, bridge)
    with OptiscopeClient(URL, transport=flaky, retries=3, backoff=1.0, max_backoff=3.0) as client:
        client.health()
    assert len(waits) == 3
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and 1.5 <= waits[2] <= 3.0


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"retries": -1}, "retries must be 0 or more"),
        ({"backoff": 5.0, "max_backoff": 1.0}, "need 0 <= backoff <= max_backoff"),
        ({"timeout": 0}, "the timeout must be a positive number of seconds"),
        ({"timeout": float("inf")}, r"the timeout must be a positive number of seconds \(not infinite\)"),
    ],
)
def test_bad_options_say_what_is_accepted(options, says):
    with pytest.raises(ValueError, match=says):
        OptiscopeClient(URL, **options)


def test_errors_survive_pickling_as_multiprocessing_sends_them(bridge):
    import pickle

    with client_over(bridge) as client, pytest.raises(ValidationError) as caught:
        client.simulate(optimizers=[{"name": "adam", "lr": -1}])
    for error in (caught.value, NotFoundError(404, "no such optimizer"), APIError(500, "boom")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert (copy.status_code, copy.detail, copy.response) == (error.status_code, error.detail, None)
    assert pickle.loads(pickle.dumps(caught.value)).errors == caught.value.errors
