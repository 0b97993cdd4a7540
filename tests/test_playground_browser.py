"""The playground in a real browser: Debian's Chromium, driven headless by Playwright, against a real
uvicorn server this module starts on a free loopback port.

Without Chromium (or Playwright) the tests skip, saying so; with OPTISCOPE_REQUIRE_BROWSER=1 (set by
.ci/run, which installs Chromium) they fail instead, so CI never passes without having run them.
Screenshots go to test-output/ (not committed).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server import precompiled

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browser download is never used
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 30
TIMEOUT_MS = 15_000
RUN_LABELS = ["sgd", "adagrad", "rmsprop", "adam"]


def skip_or_fail(reason: str):
    if os.environ.get("OPTISCOPE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (OPTISCOPE_REQUIRE_BROWSER=1: the browser test must run here)")
    pytest.skip(reason)


@contextlib.contextmanager
def serving(name: str, **env: str):
    """uvicorn serving the app on a loopback socket bound here (port 0: the OS picks a free one), with
    `env` added to its environment; its log goes to test-output/<name>.log."""
    precompiled()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    OUTPUT.mkdir(exist_ok=True)
    log_path = OUTPUT / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.main:app", "--fd", str(listener.fileno()), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **env},
        pass_fds=(listener.fileno(),),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    listener.close()
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                if httpx.get(base + "healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start in {SERVER_START_SECONDS} s: see {log_path}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def server():
    with serving("browser-server") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright's Python package is not installed (it comes with the dev extra)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def tab_on(browser, base: str):
    """A fresh browser tab on `base`; leaving it fails the test if the page logged an error (JavaScript,
    or the console's: an SVG path the browser cannot read, say), the API's 4xx answers aside."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, base_url=base)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            message.type == "error" and "Failed to load resource" not in message.text and errors.append(message.text)
        ),
    )
    yield tab
    context.close()
    assert not errors, f"errors on the page: {errors}"


@pytest.fixture
def page(browser, server):
    with tab_on(browser, server) as tab:
        yield tab


def drawn(page, after: int = 0) -> int:
    """Wait until the page has drawn an answer more than `after` times; return the count."""
    page.wait_for_function(f"Number(document.body.dataset.draws || 0) > {after}")
    return int(page.evaluate("document.body.dataset.draws"))


def series(page, chart: str) -> dict[str, str]:
    """label -> path data of every series drawn in a chart."""
    return page.eval_on_selector_all(
        f"[data-chart={chart}] path.series",
        "paths => Object.fromEntries(paths.map(p => [p.dataset.label, p.getAttribute('d')]))",
    )


def test_tutorial_preset_draws_both_charts_and_follows_a_hyperparameter(page, server):
    page.goto("/")
    draws = drawn(page)
    page.select_option("#scenario", "tutorial")
    draws = drawn(page, draws)
    page.screenshot(path=OUTPUT / "playground-tutorial.png")
    learning_rates, trajectories = series(page, "lr"), series(page, "trajectory")
    assert list(learning_rates) == list(trajectories) == RUN_LABELS
    assert all(d.count("L") == 50 for d in trajectories.values()), "steps 0..50: one vertex each"
    assert all(d.count("L") == 49 for d in learning_rates.values()), "steps 1..50"
    assert page.get_attribute("[data-chart=lr] path[data-label=sgd]", "stroke-dasharray"), "SGD's fixed rate is dashed"

    page.fill('[data-field="optimizers[3].lr"]', "0.5")  # adam's lr, 0.1 -> 0.5
    drawn(page, draws)
    changed_rates, changed_trajectories = series(page, "lr"), series(page, "trajectory")
    assert changed_trajectories["adam"] != trajectories["adam"]
    assert changed_rates["adam"] != learning_rates["adam"]
    page.eval_on_selector(".controls", "panel => { panel.scrollTop = 0; }")
    page.screenshot(path=OUTPUT / "playground.png", full_page=True)
    final = page.inner_text("#summary tbody tr:nth-child(4) td:nth-child(4)")
    answer = httpx.post(server + "simulate", json=page_body(page)).json()
    assert float(final) == pytest.approx(answer["runs"][3]["final"][0], rel=1e-3)


def page_body(page) -> dict:
    """The request body the page holds (what it posts and shows as curl)."""
    page.click("#copy-curl")
    command = page.evaluate("navigator.clipboard.readText()")
    words = shlex.split(command)
    assert words[:4] == ["curl", "-s", "-X", "POST"] and words[4].endswith("/simulate")
    return json.loads(words[words.index("-d") + 1])


def tick_labels(page, chart: str, anchor: str) -> list[str]:
    """A chart's tick labels along x (`anchor` "middle") or y ("end")."""
    return page.eval_on_selector_all(
        f"[data-chart={chart}] .ticks text[text-anchor={anchor}]", "texts => texts.map(t => t.textContent)"
    )


def x_ticks(page, chart: str) -> list[float]:
    """The numbers along a chart's x axis."""
    return [float(t) for t in tick_labels(page, chart, "middle")]


def test_a_link_with_record_every_plots_the_recorded_steps(page):
    # Every 10th of 100 steps: 10 learning rates at steps 10..100, 11 points at steps 0..100.
    body = {"gradients": {"kind": "synthetic", "steps": 100}, "optimizers": [{"name": "adam"}], "record_every": 10}
    view = {"source": "synthetic", "coordinate": 0, "hidden": []}
    link = base64.urlsafe_b64encode(json.dumps({"body": body, "view": view}).encode()).decode().rstrip("=")
    page.goto(f"/#s={link}")
    drawn(page)
    assert series(page, "lr")["adam"].count("L") == 9 and series(page, "trajectory")["adam"].count("L") == 10
    for chart in ("lr", "trajectory", "gradients"):
        ticks = x_ticks(page, chart)
        assert min(ticks) <= 20 and max(ticks) >= 80, (chart, ticks)  # not steps 1..10


def test_a_long_run_is_drawn_from_every_kth_step_and_says_so(page):
    # 10,000 steps drawn from 2,000 of them; 10^5 steps were ~4e6 numbers fetched for charts ~1,000 px wide.
    body = {"gradients": {"kind": "synthetic", "steps": 10_000}, "optimizers": [{"name": "adam"}]}
    page.goto(link(body, source="synthetic"))
    draws = drawn(page)
    assert "· 10000 steps (every 5th drawn) ·" in page.inner_text("#status")
    assert page_body(page)["record_every"] == 5  # the curl command is what the page posts
    assert max(x_ticks(page, "lr")) >= 8000  # steps 5, 10, ..., 10,000
    page.fill('[data-field="gradients.steps"]', "2000")
    drawn(page, draws)
    assert "· 2000 steps ·" in page.inner_text("#status") and "record_every" not in page_body(page)
    # A link's own record_every of at least T keeps the last step alone: not "every 1000th".
    page.goto("about:blank")
    page.goto(link(body | {"record_every": 20_000}, source="synthetic"))
    drawn(page)
    assert "· 10000 steps (the last drawn) ·" in page.inner_text("#status")


def test_a_wide_log_axis_labels_round_decades_down_to_its_lowest_line(page):
    # SGD at lr 1e100 beside the tutorial's others: the ticks were 1e13, 1e32, ..., 1e89, and none at the
    # decades where the other three runs' lines are.
    body = {"optimizers": [{"name": "sgd", "lr": 1e100}, {"name": "adam", "lr": 0.1}]}
    page.goto(link(body, source="tutorial", lrLog=True))
    drawn(page)
    exponents = [round(math.log10(float(t))) for t in tick_labels(page, "lr", "end")]
    assert exponents == [0, 20, 40, 60, 80, 100], exponents


def test_an_axis_writes_its_ticks_in_one_format_and_a_short_log_axis_gets_enough(page):
    # 100,000 steps: not "80000" beside "1e5". Adam's rates on a log axis span under two decades here:
    # the powers of ten alone were two ticks.
    body = {
        "gradients": {"kind": "synthetic", "steps": 100_000},
        "optimizers": [{"name": "adam"}],
        "record_every": 2000,
    }
    page.goto(link(body, source="synthetic", lrLog=True))
    drawn(page)
    labels = [t for t in tick_labels(page, "lr", "middle") if t != "0"]
    assert len(labels) >= 3 and all("e" in t for t in labels), labels
    assert [float(t) for t in labels] == sorted(float(t) for t in labels)
    assert len(tick_labels(page, "lr", "end")) >= 3, tick_labels(page, "lr", "end")
    # A narrow range just below 1e5 takes the digits it needs: "1e5" five times before.
    body = {"gradients": {"kind": "sequence", "values": [-1] * 80}, "initial": 99960}
    page.goto("about:blank")
    page.goto(link(body | {"optimizers": [{"name": "sgd", "lr": 1}]}, source="sequence"))
    drawn(page)
    labels = tick_labels(page, "trajectory", "end")
    assert len(labels) >= 3 and len(set(labels)) == len(labels) and all("e" in t for t in labels), labels
    assert [float(t) for t in labels] == sorted(float(t) for t in labels)


def test_copy_as_curl_gives_the_request_the_page_ran(page, server):
    page.goto("/#scenario=warmup_vs_none")
    drawn(page)
    body = page_body(page)
    assert body == httpx.get(server + "scenarios/warmup_vs_none").json()["request"]
    assert page.is_visible("#toast")


def test_an_api_error_is_shown_next_to_its_input(page):
    page.goto("/")
    draws = drawn(page)
    page.fill('[data-field="optimizers[0].lr"]', "-1")
    page.wait_for_selector('[data-field="optimizers[0].lr"][aria-invalid=true]')
    message = page.inner_text('.card[data-index="0"] .field[data-name=lr] .field-error')
    assert "greater than or equal to 0" in message
    page.fill('[data-field="optimizers[0].lr"]', "0.2")
    drawn(page, draws)
    assert page.get_attribute('[data-field="optimizers[0].lr"]', "aria-invalid") == "false"


def test_an_api_error_about_a_runs_label_is_shown_under_its_card(page):
    page.goto("/")
    draws = drawn(page)
    page.fill('[data-field="optimizers[1].label"]', "x" * 65)  # the service takes at most 64 characters
    page.wait_for_selector('[data-field="optimizers[1].label"][aria-invalid=true]')
    assert "at most 64 characters" in page.inner_text('.card[data-index="1"] > .field-error')
    assert page.inner_text("#status").startswith("The service refused this request")
    page.fill('[data-field="optimizers[1].label"]', "mine")
    drawn(page, draws)
    assert page.is_hidden('.card[data-index="1"] > .field-error') and "mine" in series(page, "lr")


def test_the_view_lives_in_the_url(page, browser, server):
    page.goto("/#scenario=sparse_features")
    draws = drawn(page)
    assert page.input_value("#coordinate") == "1"  # the preset's coordinate worth looking at
    page.fill('[data-field="optimizers[1].lr"]', "0.8")
    drawn(page, draws)
    shared, drawn_paths = page.url, series(page, "trajectory")
    other = browser.new_page(base_url=server, viewport={"width": 1440, "height": 1000})
    try:
        other.goto(shared)
        drawn(other)
        assert other.input_value('[data-field="optimizers[1].lr"]') == "0.8"
        assert series(other, "trajectory") == drawn_paths
    finally:
        other.close()


def test_a_2d_objective_draws_its_contour_with_every_path_and_the_loss(page):
    page.goto("/#scenario=rosenbrock_valley")
    draws = drawn(page)
    paths, losses = series(page, "contour"), series(page, "loss")
    assert list(paths) == list(losses) == ["sgd", "sgd-momentum", "adagrad", "rmsprop", "adam"]
    assert all(d.count("L") == 500 for d in paths.values()), "steps 0..500: one vertex each"
    contours = page.eval_on_selector_all(
        "[data-chart=contour] .contours path", "lines => lines.map(l => l.getAttribute('d'))"
    )
    assert len(contours) >= 8
    assert page.locator("[data-chart=contour] .minimum").count() == 1
    page.screenshot(path=OUTPUT / "playground-rosenbrock.png", full_page=True)

    page.fill('[data-field="gradients.b"]', "10")  # a shallower valley: a new surface, new paths
    drawn(page, draws)
    page.wait_for_function(
        "before => document.querySelector('[data-chart=contour] .contours path').getAttribute('d') !== before",
        arg=contours[0],
    )
    assert series(page, "contour")["adam"] != paths["adam"]


def test_the_contour_leaves_a_margin_around_paths_beyond_its_window(page):
    # The saddle's paths climb past the window's top: the highest end dot was drawn on the frame.
    page.goto("/#scenario=saddle_point")
    drawn(page)
    page.wait_for_selector("[data-chart=contour] circle.end")
    frame = page.locator("[data-chart=contour] rect.frame").bounding_box()
    for dot in page.locator("[data-chart=contour] circle.end").all():
        box = dot.bounding_box()
        assert box["y"] >= frame["y"] + 5 and box["y"] + box["height"] <= frame["y"] + frame["height"] - 5, box


def test_a_run_flying_off_to_1e300_is_drawn_without_errors(page):
    page.goto("/#scenario=rosenbrock_valley")
    draws = drawn(page)
    page.fill('[data-field="optimizers[0].lr"]', "0.1")  # plain SGD at 0.1 flies past 1e50, then overflows
    drawn(page, draws)
    assert "diverged at" in page.inner_text("#legend")
    assert len(series(page, "contour")) == 5
    # The value axes fit the four runs that stayed finite (within [-2, 3] on Rosenbrock from (-1.2, 1)),
    # not SGD's ~1e56: its line is drawn, leaving the chart, and the others keep their shapes.
    for chart in ("trajectory", "gradients", "loss"):
        ticks = [float(t) for t in tick_labels(page, chart, "end")]
        assert ticks and max(map(abs, ticks)) < 1e4, (chart, ticks)
        paths = series(page, chart)
        assert paths["sgd"] and not any("NaN" in d or "e" in d for d in paths.values()), chart
    # So does the contour's window: Rosenbrock's own, [-2, 2] x [-1, 3], not the threefold SGD's first
    # steps (x ~ 6 by step 4) took it to.
    for anchor in ("middle", "end"):
        ticks = [float(t) for t in tick_labels(page, "contour", anchor)]
        assert ticks and -2 <= min(ticks) and max(ticks) <= 3, (anchor, ticks)


def test_with_an_api_key_the_page_asks_for_it_then_runs(browser):
    with serving("browser-keyed-server", OPTISCOPE_API_KEY="s3cret") as base, tab_on(browser, base) as tab:
        tab.goto("/")
        tab.fill("#api-key", "s3cret")
        tab.click("#banner button")
        drawn(tab)
        assert list(series(tab, "lr")) == RUN_LABELS
        tab.click("#copy-curl")
        command = tab.evaluate("navigator.clipboard.readText()")
        assert '-H "x-api-key: $OPTISCOPE_API_KEY"' in command and "s3cret" not in command


def link(body: dict, **view) -> str:
    """The playground's URL for a request body and view (what "Copy link" gives)."""
    state = {"body": body, "view": {"coordinate": 0, "hidden": [], **view}}
    return "/#s=" + base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def test_learning_rates_beyond_float64s_reach_are_drawn_at_once(page):
    page.goto("/")
    draws = drawn(page)
    page.fill('[data-field="optimizers[0].lr"]', "1e300")  # the axis once padded 1e300 to Infinity and hung
    drawn(page, draws)
    rates = series(page, "lr")
    assert list(rates) == RUN_LABELS and not any("NaN" in d for d in rates.values())
    assert rates["sgd"] == "", "beyond 1e200 nothing is drawn (as in the service's figures)"
    # Two runs flying apart at 1e308 (max - min overflows): still numbers on the axis, none NaN.
    twins = [{"name": "sgd", "lr": 1e308}, {"name": "sgd", "lr": 1e308, "maximize": True, "label": "up"}]
    page.goto("about:blank")
    page.goto(link({"gradients": {"kind": "synthetic", "steps": 20}, "optimizers": twins}, source="synthetic"))
    drawn(page)
    paths = series(page, "trajectory")
    assert list(paths) == ["sgd", "up"] and not any("NaN" in d for d in paths.values())
    ticks = page.eval_on_selector_all("[data-chart=trajectory] .ticks text", "ts => ts.map(t => t.textContent)")
    assert ticks and "NaN" not in ticks


def test_with_every_run_hidden_the_charts_say_so_and_the_link_still_loads(page):
    rosenbrock = {"gradients": {"kind": "objective", "function": "rosenbrock", "steps": 20}}
    body = rosenbrock | {"optimizers": [{"name": "sgd", "lr": 0.001}, {"name": "adam"}]}
    page.goto(link(body, source="objective", hidden=["sgd", "adam"]))
    drawn(page)
    for chart in ("lr", "trajectory", "gradients"):
        assert page.inner_text(f"[data-chart={chart}] .plot") == "Every run is hidden: pick one in the legend."
    page.click("[data-run=adam]")
    page.wait_for_selector("[data-chart=gradients] path.series[data-label=adam]")
    assert list(series(page, "contour")) == ["adam"]


def test_hovering_a_record_every_chart_reads_the_recorded_step(page, server):
    body = {"gradients": {"kind": "synthetic", "steps": 100}, "optimizers": [{"name": "adam"}], "record_every": 10}
    page.goto(link(body, source="synthetic"))
    drawn(page)
    tick = page.locator("[data-chart=lr] .ticks text[text-anchor=middle]", has_text="20").first.bounding_box()
    area = page.locator("[data-chart=lr] .hover-area").bounding_box()
    page.mouse.move(tick["x"] + tick["width"] / 2, area["y"] + area["height"] / 2)
    tip = page.locator("[data-chart=lr] .tooltip")
    assert tip.locator(".tip-title").inner_text() == "step 20"
    rate = httpx.post(server + "simulate", json=body).json()["runs"][0]["learning_rates"][1][0]  # steps 10, 20, ...
    assert float(tip.locator("b").inner_text()) == pytest.approx(rate, rel=1e-3)


def test_an_input_the_page_cannot_read_holds_the_run_until_it_is_fixed(page):
    page.goto("/")
    draws = drawn(page)
    lr = '[data-field="optimizers[0].lr"]'
    for typo in ("0.1x", "0x10"):  # Number() reads "0x10" as 16
        page.fill(lr, typo)
        assert page.get_attribute(lr, "aria-invalid") == "true"
    page.fill('[data-field="optimizers[3].lr"]', "0.3")  # a good edit elsewhere: still held
    page.wait_for_timeout(800)
    assert int(page.evaluate("document.body.dataset.draws")) == draws
    assert page.get_attribute(lr, "aria-invalid") == "true"
    assert "stale" in page.get_attribute("#results", "class")
    assert page.evaluate("document.body.dataset.state") == "invalid"
    page.fill(lr, "0.2")
    drawn(page, draws)
    assert page.get_attribute(lr, "aria-invalid") == "false" and "stale" not in page.get_attribute("#results", "class")
    assert page_body(page)["optimizers"][0]["lr"] == 0.2 and page_body(page)["optimizers"][3]["lr"] == 0.3


def test_the_sequence_box_says_what_it_cannot_read(page):
    page.goto("/")
    draws = drawn(page)
    page.click("[data-source=sequence]")
    draws = drawn(page, draws)
    box = "#sequence-values"
    page.fill(box, "1, 2, 3")
    draws = drawn(page, draws)
    assert page.inner_text("#source .hint") == "3 steps × 1 coordinate"
    for typed, says in (
        ('{"a": 1}', "a JSON object: the values are a list"),
        ("1, 2, x", "line 1: 'x' is not a number"),
        ("1, 1e400", "line 1: '1e400' is beyond float64's range"),  # a number, but not a float64
        ("[1, 2", "not valid JSON"),
        ("1 2\n3", "every line must hold the same number of coordinates"),
    ):
        page.fill(box, typed)
        assert says in page.inner_text("#source .field-error"), typed
        # The charts keep the last sequence that could be read, and the count says it is that one.
        assert page.inner_text("#source .hint") == "showing the last valid sequence: 3 steps × 1 coordinate"
    page.fill(box, "1, 2\n3, 4")
    drawn(page, draws)
    assert page_body(page)["gradients"]["values"] == [[1, 2], [3, 4]]
    assert page.inner_text("#source .hint") == "2 steps × 2 coordinates"


def test_a_link_that_cannot_be_read_says_so_and_an_empty_body_is_the_tutorial(page):
    page.goto("/#s=garbage!!")
    drawn(page)
    assert page.is_visible("#banner")
    assert page.inner_text("#banner") == "The link's state could not be read; showing the tutorial instead."
    page.goto("about:blank")
    page.goto(link({}))
    drawn(page)
    assert list(series(page, "lr")) == RUN_LABELS and page.is_hidden("#banner")
    # The message is about the link: picking a scenario (or following another link) puts it away.
    page.goto("about:blank")
    page.goto("/#s=garbage!!")
    draws = drawn(page)
    page.select_option("#scenario", "rosenbrock_valley")
    drawn(page, draws)
    assert page.is_hidden("#banner")
    page.evaluate("location.hash = 's=garbage!!'")
    page.wait_for_selector("#banner", state="visible")
    page.evaluate("location.hash = 'scenario=tutorial'")
    page.wait_for_selector("#banner", state="hidden")


def test_an_image_download_draws_the_coordinate_shown(page):
    body = {"gradients": {"kind": "objective", "function": "quadratic", "dim": 10, "steps": 20}}
    page.goto(link(body | {"optimizers": [{"name": "adam"}]}, source="objective", coordinate=7))
    draws = drawn(page)
    assert page.input_value("#coordinate") == "7"
    page.fill('[data-field="gradients.dim"]', "3")
    drawn(page, draws)
    assert page.input_value("#coordinate") == "2"
    with page.expect_download() as download:
        page.click("[data-download='image/svg+xml']")
    assert Path(download.value.path()).read_text().startswith("<?xml")
    assert page.is_hidden("#banner")


def test_a_phone_sized_screen_has_no_sideways_scroll(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 800}, base_url=server)
    try:
        tab = context.new_page()
        tab.goto("/")
        drawn(tab)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        assert tab.evaluate("getComputedStyle(document.querySelector('.controls')).position") == "static"
        # The scenario picker on its own row, wide enough to read; the summary without a scroll of its own.
        assert tab.locator("#scenario").bounding_box()["width"] > 250
        assert tab.evaluate("(s => s.scrollWidth <= s.clientWidth)(document.querySelector('.summary'))")
        # Labels that cannot wrap are shortened in the legend, not pushed past the screen's edge.
        long = [{"name": "adam", "label": "adam_without_any_spaces_in_its_label_which_cannot_wrap_" + c} for c in "ab"]
        tab.goto("about:blank")
        tab.goto(link({"optimizers": long}))
        drawn(tab)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        assert tab.get_attribute("[data-run$=_a]", "title") == f"Hide {long[0]['label']}"
        # ... and in a chart's tip, which stays within the chart wherever the pointer is.
        tab.locator("[data-chart=lr] .plot").scroll_into_view_if_needed()
        plot = tab.locator("[data-chart=lr] .plot").bounding_box()
        area = tab.locator("[data-chart=lr] .hover-area").bounding_box()
        for at in (0.1, 0.5, 0.9):
            tab.mouse.move(area["x"] + at * area["width"], area["y"] + area["height"] / 2)
            tip = tab.locator("[data-chart=lr] .tooltip").bounding_box()
            assert plot["x"] - 1 <= tip["x"] and tip["x"] + tip["width"] <= 375, (at, tip, plot)
    finally:
        context.close()


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two CSS rgb() colours."""

    def luminance(color: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_small_grey_text_is_readable_on_the_page(page):
    # Hints, the status line and chart captions were #8a94a3: 3.1:1 on white, 2.8:1 on the page's ground.
    page.goto("/")
    drawn(page)
    page.click("[data-source=sequence]")
    page.wait_for_selector("#source .hint")
    ground = page.evaluate(
        "(() => { const d = document.createElement('div'); d.style.background = 'var(--page)';"
        " document.body.append(d); const c = getComputedStyle(d).backgroundColor; d.remove(); return c; })()"
    )
    assert ground == "rgb(243, 245, 248)"
    for selector in ("#source .hint", "#status", ".chart .caption", ".chart .sub"):
        color = page.eval_on_selector(selector, "e => getComputedStyle(e).color")
        for background in (ground, "rgb(255, 255, 255)"):
            assert contrast(color, background) >= 4.5, (selector, color, background)


def test_an_edited_scenario_says_its_description_is_the_presets(page):
    # After an edit the header still read as if it described what is on the page.
    page.goto("/#scenario=tutorial")
    draws = drawn(page)
    description = page.inner_text("#scenario-description")
    assert "edited" not in page.get_attribute("#scenario-description", "class")
    page.fill('[data-field="optimizers[0].lr"]', "0.2")
    draws = drawn(page, draws)
    assert "edited" in page.get_attribute("#scenario-description", "class")
    shown = page.evaluate("getComputedStyle(document.querySelector('#scenario-description'), '::before').content")
    assert shown == '"Edited from: "' and page.inner_text("#scenario-description").endswith(description)
    with page.expect_download() as download:
        page.click("[data-download='text/csv']")
    assert download.value.suggested_filename == "optiscope-tutorial-edited.csv"
    page.click("#reset-scenario")
    drawn(page, draws)
    assert "edited" not in page.get_attribute("#scenario-description", "class")


def test_tuning_each_lr_first_compares_the_runs_at_their_best(page, server):
    page.goto("/#scenario=rosenbrock_valley")
    draws = drawn(page)
    own = page.eval_on_selector_all("#summary tbody td:nth-child(3)", "cells => cells.map((c) => c.textContent)")
    assert not any("tuned" in text for text in own)
    page.check("#tune-lr")
    draws = drawn(page, draws)
    body = page_body(page)
    assert body["tune"] == "lr"
    answer = httpx.post(server + "simulate", json=body).json()
    chosen = [run["tuning"]["chosen"] for run in answer["runs"]]
    shown = page.eval_on_selector_all("#summary tbody td:nth-child(3)", "cells => cells.map((c) => c.textContent)")
    assert shown == [f"{formatted} (tuned)" for formatted in (number_text(page, c) for c in chosen)]
    assert not page.is_visible("#optimizers .block .hint")  # an objective scores by its loss
    page.uncheck("#tune-lr")
    drawn(page, draws)
    assert "tune" not in page_body(page)
    again = page.eval_on_selector_all("#summary tbody td:nth-child(3)", "cells => cells.map((c) => c.textContent)")
    assert again == own


def test_tuning_without_an_objective_says_what_it_scores(page):
    page.goto(link({"optimizers": [{"name": "sgd"}], "tune": "lr"}, source="tutorial"))
    drawn(page)
    assert "distance to the origin" in page.inner_text("#optimizers .block .hint")
    assert page.inner_text("#summary tbody td:nth-child(3)") == "1e-4 (tuned)"


def number_text(page, value: float) -> str:
    """A number as the page writes it (charts.js's formatNumber)."""
    return page.evaluate("async (v) => (await import('./static/js/charts.js')).formatNumber(v)", value)


def test_a_onecycle_on_an_optimizer_without_momentum_does_not_cycle_it(page):
    # cycle_momentum defaults to true, which Adagrad (no momentum, no beta1) cannot take: an instant 422.
    page.goto(link({"optimizers": [{"name": "adagrad", "lr": 0.1}, {"name": "sgd", "lr": 0.1}]}, source="tutorial"))
    draws = drawn(page)
    page.select_option('[data-field="optimizers[0].schedule.kind"]', "onecycle")
    draws = drawn(page, draws)
    assert page_body(page)["optimizers"][0]["schedule"] == {"kind": "onecycle", "cycle_momentum": False}
    page.select_option('[data-field="optimizers[1].schedule.kind"]', "onecycle")  # SGD has momentum: cycled
    draws = drawn(page, draws)
    assert page_body(page)["optimizers"][1]["schedule"] == {"kind": "onecycle"}
    page.select_option('[data-field="optimizers[1].name"]', "rprop")  # ... until it becomes Rprop
    drawn(page, draws)
    assert page_body(page)["optimizers"][1]["schedule"] == {"kind": "onecycle", "cycle_momentum": False}


def test_each_cards_controls_say_whose_they_are(page):
    # Every card's controls were "Optimizer", "Run label", "Duplicate", "Remove", "Schedule": a screen reader
    # could not tell the cards apart.
    page.goto("/")
    drawn(page)
    names = page.eval_on_selector_all(
        '#optimizers .card[data-index="1"] [aria-label]',
        "elements => elements.map((e) => e.getAttribute('aria-label'))",
    )
    assert names == [
        "Optimizer of run 2 (adagrad)",
        "Label of run 2 (adagrad)",
        "Duplicate run 2 (adagrad)",
        "Remove run 2 (adagrad)",
        "Schedule of run 2 (adagrad)",
    ]
    assert page.get_attribute('#optimizers .card[data-index="1"]', "aria-label") == "run 2 (adagrad)"
    assert page.get_by_role("button", name="Remove run 4 (adam)").count() == 1
    page.fill('[data-field="optimizers[1].label"]', "mine")  # the names follow the label as it is typed
    assert page.get_by_role("button", name="Remove run 2 (mine)").count() == 1
    assert page.get_attribute('#optimizers .card[data-index="1"]', "aria-label") == "run 2 (mine)"


def test_every_hyperparameter_name_is_shown_whole(page, server):
    # decoupled_weight_decay and initial_accumulator_value were cut at half a card's width.
    names = [o["name"] for o in httpx.get(server.rstrip("/") + "/optimizers").json()]
    page.goto(link({"optimizers": [{"name": name} for name in names]}))
    drawn(page)
    clipped = page.evaluate(
        "[...document.querySelectorAll('#optimizers .field > label, #optimizers .toggle')]"
        ".filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent)"
    )
    assert clipped == []


def test_keyboard_focus_stays_on_the_control_that_rebuilt_the_page(page):
    page.goto("/")
    draws = drawn(page)
    page.focus("[data-source=synthetic]")
    page.keyboard.press("Enter")
    draws = drawn(page, draws)
    assert page.evaluate("document.activeElement.dataset.source") == "synthetic"
    page.focus("[data-run=adam]")
    page.keyboard.press("Space")
    page.wait_for_selector("[data-run=adam][aria-pressed=false]")
    assert page.evaluate("document.activeElement.dataset.run") == "adam"


def focused(page, attribute: str) -> str | None:
    return page.evaluate(f"document.activeElement.getAttribute({attribute!r})")


def test_the_source_tabs_take_the_arrow_keys_with_one_tab_stop(page):
    page.goto("/")
    draws = drawn(page)
    assert page.eval_on_selector_all("[role=tab]", "tabs => tabs.map((t) => t.tabIndex)") == [0, -1, -1, -1]
    page.focus("[data-source=tutorial]")
    page.keyboard.press("ArrowRight")
    draws = drawn(page, draws)
    assert focused(page, "data-source") == "synthetic"
    assert page.get_attribute("[data-source=synthetic]", "aria-selected") == "true"
    assert page.get_attribute("[data-source=synthetic]", "tabindex") == "0"
    page.keyboard.press("End")
    draws = drawn(page, draws)
    assert focused(page, "data-source") == "objective"
    page.keyboard.press("ArrowRight")  # wraps around
    drawn(page, draws)
    assert focused(page, "data-source") == "tutorial"
    # A source with no tab here (a link from another server, an unknown kind): the first tab is the stop.
    page.goto(link({"gradients": {"kind": "weird"}, "optimizers": [{"name": "sgd"}]}))
    page.wait_for_function("document.body.dataset.state === 'invalid' || document.body.dataset.state === 'error'")
    assert page.eval_on_selector_all("[role=tab]", "tabs => tabs.map((t) => t.tabIndex)") == [0, -1, -1, -1]


def test_remove_and_duplicate_leave_the_focus_on_a_card(page):
    body = {"optimizers": [{"name": "sgd"}, {"name": "adam"}, {"name": "rmsprop"}]}
    page.goto(link(body))
    draws = drawn(page)
    page.focus('[data-control="optimizers[0].duplicate"]')
    page.keyboard.press("Enter")
    draws = drawn(page, draws)
    assert page.eval_on_selector_all(".card[data-optimizer]", "cards => cards.length") == 4
    assert focused(page, "data-control") == "optimizers[0].duplicate"
    page.focus('[data-control="optimizers[1].remove"]')  # the copy: the focus goes to adam's Remove
    page.keyboard.press("Enter")
    draws = drawn(page, draws)
    assert focused(page, "data-control") == "optimizers[1].remove"
    assert page.get_attribute(".card[data-index='1']", "data-optimizer") == "adam"
    page.focus('[data-control="optimizers[2].remove"]')  # the last card: the focus goes to the one before
    page.keyboard.press("Enter")
    draws = drawn(page, draws)
    assert focused(page, "data-control") == "optimizers[1].remove"
    page.keyboard.press("Enter")  # two cards left, then one: its Remove is disabled, so its optimizer
    drawn(page, draws)
    assert focused(page, "data-field") == "optimizers[0].name"


def test_removing_a_sequential_child_leaves_the_focus_on_the_next(page):
    schedule = {"kind": "sequential", "schedulers": [{"kind": "constant"}] * 3, "milestones": [10, 20]}
    page.goto(link({"optimizers": [{"name": "sgd", "lr": 0.1, "schedule": schedule}]}))
    draws = drawn(page)
    children = "optimizers[0].schedule.schedulers"
    page.focus(f'[data-control="{children}[0].remove"]')
    page.keyboard.press("Enter")
    draws = drawn(page, draws)
    assert focused(page, "data-control") == f"{children}[0].remove"
    page.keyboard.press("Enter")  # one child left, which cannot be removed: "+ add" takes the focus
    draws = drawn(page, draws)
    assert focused(page, "data-control") == f"{children}.add"
    page.keyboard.press("Enter")
    drawn(page, draws)
    assert focused(page, "data-control") == f"{children}.add"


def test_a_wide_answers_every_coordinate_can_be_picked(page):
    # A select lists 1,000 coordinates; past that the picker is a number field taking any of the D.
    body = {"gradients": {"kind": "synthetic", "steps": 5, "dim": 1500}, "optimizers": [{"name": "adam"}]}
    page.goto(link(body, source="synthetic", coordinate=1200))
    draws = drawn(page)
    assert page.eval_on_selector("#coordinate", "e => e.tagName") == "INPUT"
    assert page.input_value("#coordinate") == "1200"
    assert page.inner_text("#chart-lr .sub").endswith("coordinate 1200")
    page.fill("#coordinate", "1499")
    page.dispatch_event("#coordinate", "change")  # a redraw of the same answer, no request
    page.wait_for_function("document.querySelector('#chart-lr .sub').textContent.endsWith('coordinate 1499')")
    assert int(page.evaluate("document.body.dataset.draws")) == draws
    for typed in ("1500", "", "-1"):  # not one of the D: back to the one shown
        page.fill("#coordinate", typed)
        page.dispatch_event("#coordinate", "change")
        assert page.input_value("#coordinate") == "1499", typed
    assert page.inner_text("#chart-lr .sub").endswith("coordinate 1499")
    page.fill('[data-field="gradients.dim"]', "3")  # a narrow answer: a select again
    page.wait_for_function("document.querySelector('#coordinate').tagName === 'SELECT'")
    assert page.input_value("#coordinate") == "2"


def test_sequential_children_keep_one_milestone_between_them(page):
    schedule = {"kind": "sequential", "schedulers": [{"kind": "constant"}], "milestones": []}
    page.goto(link({"optimizers": [{"name": "sgd", "lr": 0.1, "schedule": schedule}]}))
    draws = drawn(page)
    milestones = '[data-field="optimizers[0].schedule.milestones"]'
    for expected in ("10", "10, 20"):
        page.click("text=+ add to schedulers")
        draws = drawn(page, draws)
        assert page.input_value(milestones) == expected
        assert page.evaluate("document.body.dataset.state") == "ready"
    page.click('[data-field-prefix="optimizers[0].schedule.schedulers[1]"] .remove-child')
    draws = drawn(page, draws)
    assert page.input_value(milestones) == "20"  # the first child now runs until the second milestone
    page.click('[data-field-prefix="optimizers[0].schedule.schedulers[0]"] .remove-child')
    draws = drawn(page, draws)
    assert page.input_value(milestones) == "" and page.evaluate("document.body.dataset.state") == "ready"
    assert page.is_disabled('[data-field-prefix="optimizers[0].schedule.schedulers[0]"] .remove-child')  # the last


def test_a_link_with_miscounted_milestones_is_mended_by_the_next_add(page):
    schedule = {"kind": "sequential", "schedulers": [{"kind": "constant"}] * 2, "milestones": []}
    page.goto(link({"optimizers": [{"name": "sgd", "lr": 0.1, "schedule": schedule}]}))
    page.wait_for_function("document.body.dataset.state === 'invalid'")  # 2 schedulers need 1 milestone
    page.click("text=+ add to schedulers")
    drawn(page)
    assert page.input_value('[data-field="optimizers[0].schedule.milestones"]') == "10, 20"
