"""The Accept header picks the answer's media type; what cannot be made is a 406 saying what can."""

from __future__ import annotations

import pytest

from service import figures
from service.api.negotiation import CSV, JSON, PNG, SVG, negotiate


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("text/csv", CSV),
        ("image/svg+xml", SVG),
        ("image/png", PNG),
        ("image/*", SVG),
        ("image/png, image/svg+xml;q=0.5", PNG),
        ("text/csv;q=0.4, application/json;q=0.9", JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # a browser
        ("image/*;q=0.5, image/png;q=0", SVG),  # the most specific range decides
        ("TEXT/CSV", CSV),
        ("text/csv; charset=utf-8", CSV),
        ("application/json;q=nonsense, text/csv", CSV),
    ],
)
def test_negotiate_picks_the_best_offer(accept, chosen):
    assert negotiate(accept, can_draw=True) == chosen


def test_unsupported_media_type_is_a_406_listing_what_is_supported(client):
    response = client.post("/simulate", json={}, headers={"accept": "text/html"})
    assert response.status_code == 406
    detail = response.json()["detail"]
    assert "'text/html'" in detail
    for media in (JSON, CSV, SVG, PNG):
        assert media in detail


def test_q_zero_everywhere_is_a_406(client):
    response = client.post("/simulate", json={}, headers={"accept": "application/json;q=0, */*;q=0"})
    assert response.status_code == 406


def test_without_matplotlib_figures_are_a_406_that_says_how_to_get_them(client_with, monkeypatch):
    # A fresh app: a server without matplotlib never drew a figure (no cached answer can stand in for one).
    client = client_with()
    monkeypatch.setattr(figures, "available", lambda: False)
    for media in (SVG, PNG, "image/*"):
        response = client.post("/simulate", json={}, headers={"accept": media})
        assert response.status_code == 406, media
        detail = response.json()["detail"]
        assert "matplotlib" in detail and "optiscope[figures]" in detail
        assert SVG not in detail.split("Available here:")[1]
    # JSON and CSV still work, and a list that allows JSON falls back to it.
    assert client.post("/simulate", json={}, headers={"accept": CSV}).status_code == 200
    response = client.post("/simulate", json={}, headers={"accept": "image/png, application/json;q=0.1"})
    assert response.status_code == 200 and response.headers["content-type"] == JSON


def test_negotiation_comes_before_any_compute(client_with):
    # A request over the size limits is still a 406 first: nothing is computed for an answer nobody takes.
    response = client_with(max_steps=10).post("/simulate", json={}, headers={"accept": "text/html"})
    assert response.status_code == 406


def test_json_stays_the_default_and_unchanged(client):
    plain = client.post("/simulate", json={})
    explicit = client.post("/simulate", json={}, headers={"accept": JSON})
    assert plain.headers["content-type"] == explicit.headers["content-type"] == JSON
    assert plain.content == explicit.content


def test_the_same_body_answers_each_accept_in_its_own_type(client):
    # Anything that remembers answers by body (a cache) must tell these apart: the answers say Vary: Accept.
    for media in (JSON, SVG, CSV, PNG, JSON):
        response = client.post("/simulate", json={}, headers={"accept": media})
        assert response.headers["content-type"].split(";")[0] == media
        assert response.headers["vary"] == "Accept"


def test_figures_are_drawn_off_the_event_loop(client_with, monkeypatch):
    """Small JSON requests may compute inline; a figure (tens of ms in matplotlib) never does."""
    from service.api import simulate as route

    seen = []
    original = route.run_sized

    async def spy(work, compute, *args, **options):
        seen.append(work)
        return await original(work, compute, *args, **options)

    monkeypatch.setattr(route, "run_sized", spy)
    client = client_with(response_cache_entries=0)
    assert client.post("/simulate", json={}, headers={"accept": SVG}).status_code == 200
    assert client.post("/simulate", json={}).status_code == 200
    from service.api.concurrency import INLINE_WORK

    assert seen[0] == float("inf") and seen[1] <= INLINE_WORK
