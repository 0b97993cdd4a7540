"""Large requests in flight hold at most OPTISCOPE_MAX_NUMBERS_IN_FLIGHT numbers together."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from service.api.admission import HELD, SMALL, Admission
from service.main import create_app
from service.settings import Settings

LARGE = {  # 1 + 1 + 200,001 numbers: the gradients are not returned, params are
    "gradients": {"kind": "synthetic", "steps": 200_000},
    "optimizers": [{"name": "sgd"}],
    "record": ["params"],
    "include_gradients": False,
}


def test_a_request_waits_for_room_and_enters_when_another_leaves():
    async def scenario() -> list[str]:
        admission, events = Admission(capacity=3 * SMALL), []
        first, second = {}, {}
        await admission.enter(first, 2 * SMALL)

        async def later() -> None:
            await admission.enter(second, 2 * SMALL)
            events.append("second admitted")

        waiting = asyncio.create_task(later())
        await asyncio.sleep(0.05)
        events.append(f"waiting with {admission.held} held")
        admission.leave(first)
        await waiting
        events.append(f"{admission.held} held")
        admission.leave(second)
        events.append(f"{admission.held} held, {first}, {second}")
        return events

    assert asyncio.run(scenario()) == [
        f"waiting with {2 * SMALL} held",
        "second admitted",
        f"{2 * SMALL} held",
        "0 held, {}, {}",
    ]


def test_no_room_in_time_is_a_503_and_alone_or_small_never_waits():
    async def scenario() -> None:
        admission = Admission(capacity=SMALL, wait_seconds=0.05)
        alone, small, refused = {}, {}, {}
        await admission.enter(alone, 5 * SMALL)  # over the budget, but alone: admitted
        await admission.enter(small, SMALL - 1)  # not counted
        assert admission.held == 5 * SMALL and small == {} and alone == {HELD: 5 * SMALL}
        with pytest.raises(HTTPException) as caught:
            await admission.enter(refused, SMALL)
        assert caught.value.status_code == 503 and caught.value.headers == {"Retry-After": "1"}
        assert refused == {} and admission.held == 5 * SMALL

    asyncio.run(scenario())


SWEEP = {"gradients": LARGE["gradients"], "optimizers": [{"name": "sgd"}], "grid": {"lr": [0.1]}, "trajectories": True}


def test_a_request_over_the_size_limit_is_never_held():  # it is refused before any compute
    async def scenario() -> None:
        admission, over = Admission(capacity=SMALL, ceiling=2 * SMALL, wait_seconds=0.05), {}
        admission.held = SMALL  # the budget is full: anything held would wait
        await admission.enter(over, 2 * SMALL + 1)
        assert over == {} and admission.held == SMALL

    asyncio.run(scenario())


@pytest.mark.parametrize(("path", "body"), [("/simulate", LARGE), ("/sweep", SWEEP)])
def test_an_answer_gives_its_numbers_back_once_sent(path, body):
    app = create_app(Settings(max_numbers_in_flight=SMALL, response_cache_entries=0))
    client = TestClient(app)
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text[:300]
    assert app.state.admission.held == 0
    # Another request holding the whole budget: this one waits, then is told to retry.
    app.state.admission.held, app.state.admission.wait_seconds = SMALL, 0.05
    busy = client.post(path, json=body)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["detail"].startswith("The server is busy with other large requests")
    assert client.post(path, json={}).status_code == 200  # small requests never wait


def test_a_tune_is_admitted_for_what_its_sweep_holds():
    # The tuned run records one point; its lr sweep first holds every value's lr at every step (9 x 10^5).
    app = create_app(Settings(max_numbers_in_flight=SMALL, response_cache_entries=0))
    client = TestClient(app)
    body = {
        "gradients": {"kind": "synthetic", "steps": 100_000},
        "optimizers": [{"name": "sgd", "schedule": {"kind": "cosine", "T_max": 1000}}],
        "tune": "lr",
        "tune_values": {"logspace": [-3, 0, 9]},
        "record": [],
        "record_every": 100_000,
        "include_gradients": False,
    }
    app.state.admission.held, app.state.admission.wait_seconds = 1, 0.05  # another request holds a little
    busy = client.post("/simulate", json=body)
    assert busy.status_code == 503 and "this one needs 900009" in busy.json()["detail"], busy.text[:300]


def test_a_long_schedule_is_admitted_too():
    # 8 x 10^6-step schedules at once held +635 MB with no admission at all.
    app = create_app(Settings(max_numbers_in_flight=SMALL, response_cache_entries=0))
    client = TestClient(app)
    body = {"steps": 100_000, "schedule": {"kind": "onecycle", "max_lr": 0.1}}
    answer = client.post("/schedules/simulate", json=body)
    assert answer.status_code == 200 and len(answer.json()["lr"]) == 100_000 and app.state.admission.held == 0
    app.state.admission.held, app.state.admission.wait_seconds = 1, 0.05
    busy = client.post("/schedules/simulate", json=body)
    assert busy.status_code == 503 and "this one needs 600000" in busy.json()["detail"], busy.text[:300]


def test_a_surface_counted_over_max_values_is_still_admitted():
    # Its grid, evaluation chunk and data are each within max_values but not together: admission passed
    # over such a count (as one refused before compute), and eight ran at once (+650 MB).
    app = create_app(Settings(max_values=400_000, max_numbers_in_flight=SMALL, response_cache_entries=0))
    client = TestClient(app)
    app.state.admission.held, app.state.admission.wait_seconds = 1, 0.05
    query = {"dim": 40, "n_samples": 10_000, "resolution": 70}  # 3 x 4,900 points, 400,000 of data and more
    busy = client.get("/objectives/logistic_regression/surface", params=query)
    assert busy.status_code == 503 and "this one needs 400000" in busy.json()["detail"], busy.text[:300]
