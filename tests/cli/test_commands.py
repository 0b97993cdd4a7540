"""`optiscope optimizers`, `schedules`, `--url`, `serve` and the console script itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service import __version__
from service.engine import REGISTRY
from service.engine.schedules import SCHEDULES
from tests.servers import free_port


def test_optimizers_lists_the_catalog(optiscope):
    result = optiscope("optimizers")
    assert result.code == 0, result.err
    assert [line.split()[0] for line in result.out.splitlines()[2:]] == list(REGISTRY)
    assert "lr=0.001, beta1=0.9, beta2=0.999" in result.out


def test_one_optimizer_is_described_with_ranges(optiscope):
    result = optiscope("optimizers", "adam")
    assert result.code == 0, result.err
    assert result.out.startswith("adam: Adam\n")
    assert "learning rate:  lr / (sqrt(v_hat) + eps)" in result.out
    beta1 = next(line for line in result.out.splitlines() if line.split()[:1] == ["beta1"])
    assert beta1.split()[:4] == ["beta1", "0.9", "[0,", "1)"]


def test_json_format_is_the_catalog_as_served(optiscope, client):
    assert json.loads(optiscope("optimizers", "-f", "json").out) == client.get("/optimizers").json()
    assert json.loads(optiscope("optimizers", "sgd", "-f", "json").out) == client.get("/optimizers/sgd").json()
    assert json.loads(optiscope("schedules", "-f", "json").out) == client.get("/schedules").json()


def test_unknown_optimizer_name_lists_the_known_ones(optiscope):
    result = optiscope("optimizers", "adamx")
    assert result.code == 2
    assert result.err == f"optiscope: error: Unknown optimizer 'adamx'. Known optimizers: {', '.join(REGISTRY)}.\n"


def test_schedules_lists_every_kind(optiscope):
    result = optiscope("schedules")
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()[2:]] == list(SCHEDULES)


def test_url_runs_on_the_server_with_the_same_answers(optiscope, live_server):
    for argv in (["simulate", "-f", "json"], ["simulate", "-o", "adam:lr=0.2", "--steps", "100"], ["optimizers"]):
        local, remote = optiscope(*argv), optiscope(*argv, "--url", live_server)
        assert remote.code == 0 and remote.out == local.out, remote.err


def test_url_alone_uses_the_environment(optiscope, live_server, monkeypatch):
    monkeypatch.setenv("OPTISCOPE_URL", live_server)
    assert optiscope("schedules", "--url").code == 0


def test_server_side_validation_errors_read_the_same_and_exit_2(optiscope, live_server):
    local = optiscope("simulate", "-o", "adam:betta1=0.9")
    remote = optiscope("simulate", "-o", "adam:betta1=0.9", "--url", live_server)
    assert local.code == remote.code == 2 and local.err == remote.err
    assert optiscope("optimizers", "nope", "--url", live_server).code == 2


def test_unreachable_server_is_a_runtime_error(optiscope, monkeypatch):
    monkeypatch.setattr("service.client._config.Retry.delay", lambda self, attempt, retry_after=None: 0.0)
    result = optiscope("optimizers", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.code == 1
    assert "after 4 attempts; is the service running there? (start one with `optiscope serve`" in result.err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("localhost:8000", "must start with http:// or https://"),
        ("http://127.0.0.1:abc", "is not a valid URL: Invalid port: 'abc'"),  # was httpx's traceback
        ("http://", "names no host: 'http://'"),
    ],
)
def test_a_bad_url_is_a_usage_error(optiscope, url, says):
    result = optiscope("optimizers", "--url", url)
    assert result.code == 2 and result.err.startswith("optiscope: error: ") and says in result.err, result.err


def test_catalog_tables_write_defaults_as_the_command_line_reads_them(optiscope):
    result = optiscope("optimizers")
    assert "nesterov=false" in result.out and "False" not in result.out
    assert optiscope("simulate", "-o", "sgd:momentum=0.9,nesterov=false").code == 0


def test_a_timeout_names_the_option(optiscope, monkeypatch):
    from service.client import Timeout

    class Slow:
        def simulate(self, request):
            raise Timeout(
                "POST http://127.0.0.1:8000/simulate: no answer within 1 s (raise timeout= or OPTISCOPE_TIMEOUT)"
            )

        def close(self):
            pass

    seen = {}
    monkeypatch.setattr("service.cli._main.backend", lambda *args, **kwargs: seen.update(kwargs) or Slow())
    result = optiscope("simulate", "--url", "http://127.0.0.1:8000", "--timeout", "1")
    assert result.code == 1 and seen["timeout"] == 1.0
    assert result.err.endswith("no answer within 1 s (raise --timeout or OPTISCOPE_TIMEOUT)\n")


def test_the_console_script_is_installed_and_runs():
    script = shutil.which("optiscope", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"optiscope {__version__}\n")
    result = subprocess.run([script, "simulate", "-o", "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Known optimizers: sgd, adagrad" in result.stderr


def test_python_m_service_with_arguments_is_the_command_line():
    # Arguments were ignored: `python -m service serve --port 8001` served on 8000.
    result = subprocess.run([sys.executable, "-m", "service", "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"optiscope {__version__}\n")
    result = subprocess.run([sys.executable, "-m", "service", "serve", "--port", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "--port" in result.stderr


def test_serve_runs_the_server_as_python_m_service_does(optiscope, monkeypatch):
    from service.settings import get_settings

    launched = []
    monkeypatch.setattr("service.__main__.run", lambda *args: launched.append(args))
    monkeypatch.setenv("OPTISCOPE_PORT", "abc")  # overridden by --port: not an error
    monkeypatch.setenv("OPTISCOPE_WORKERS", "1")
    try:
        assert optiscope("serve", "--port", "8123", "--workers", "2").code == 0
    finally:
        get_settings.cache_clear()
    ((settings,),) = launched
    assert (settings.port, settings.workers) == (8123, 2) and settings.shutdown_timeout == 25.0
    # The app's workers read the environment: it says what the command line said.
    assert (os.environ["OPTISCOPE_PORT"], os.environ["OPTISCOPE_WORKERS"]) == ("8123", "2")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "99999"], "99999: Input should be less than or equal to 65535"),
        (["--port", "0"], "0: Input should be greater than or equal to 1"),
        (["--workers", "-2"], "-2: Input should be greater than or equal to 1"),
        (["--port", "http"], "http: Input should be a valid integer"),
    ],
)
def test_serve_options_out_of_range_are_usage_errors(optiscope, argv, says, capsys):
    result = optiscope("serve", *argv)
    assert result.code == 2 and says in capsys.readouterr().err  # argparse writes to sys.stderr


@pytest.mark.parametrize("argv", [["serve"], ["simulate"], ["sweep"]])
def test_a_bad_setting_is_a_usage_error_naming_the_variable(optiscope, monkeypatch, argv):
    from service.settings import get_settings

    monkeypatch.setenv("OPTISCOPE_MAX_STEPS", "-1")
    monkeypatch.setattr("service.__main__.run", lambda *args: pytest.fail("the server must not start"))
    get_settings.cache_clear()
    try:
        result = optiscope(*argv)
    finally:
        get_settings.cache_clear()
    assert result.code == 2
    assert result.err.startswith("optiscope: error: bad setting: OPTISCOPE_MAX_STEPS='-1'"), result.err


def test_a_bad_server_only_setting_does_not_stop_a_local_run(optiscope, monkeypatch):
    from service.settings import SERVER_ONLY, Settings, get_settings

    assert SERVER_ONLY < set(Settings.model_fields)
    monkeypatch.setenv("OPTISCOPE_PORT", "abc")
    monkeypatch.setenv("OPTISCOPE_LOG_FORMAT", "yaml")
    monkeypatch.setenv("OPTISCOPE_MAX_STEPS", "40")  # a limit is still read, and applied
    monkeypatch.setattr("service.__main__.run", lambda *args: pytest.fail("the server must not start"))
    get_settings.cache_clear()
    try:
        ran, over = optiscope("simulate", "--steps", "40"), optiscope("simulate", "--steps", "41")
        serve = optiscope("serve")
    finally:
        get_settings.cache_clear()
    assert ran.code == 0 and ran.err == "", ran.err
    assert over.code == 2 and "41 steps exceed the limit of 40" in over.err, over.err
    assert serve.code == 2 and "OPTISCOPE_PORT='abc'" in serve.err and "OPTISCOPE_LOG_FORMAT='yaml'" in serve.err


def test_serve_is_what_the_live_server_fixture_runs(live_server):
    # tests.servers.serve_command starts `python -m service.cli serve --host 127.0.0.1 --port N`;
    # reaching here means it answered /healthz. Check it is the real app.
    import httpx

    assert httpx.get(f"{live_server}/openapi.json", timeout=5).json()["info"]["title"] == "Optiscope"


def test_objectives_lists_and_describes_functions(optiscope, client):
    from service.engine import OBJECTIVES

    listing = optiscope("objectives")
    assert listing.code == 0
    assert [line.split()[0] for line in listing.out.splitlines()[2:]] == list(OBJECTIVES)
    detail = optiscope("objectives", "rosenbrock")
    assert detail.out.startswith("rosenbrock: Rosenbrock\n") and "dimensions:  D >= 2 (default 2)" in detail.out
    assert json.loads(optiscope("objectives", "booth", "-f", "json").out) == client.get("/objectives/booth").json()
    unknown = optiscope("objectives", "rosenbrok")
    assert unknown.code == 2 and "Unknown function 'rosenbrok'. Known functions: quadratic, rosenbrock" in unknown.err


def test_a_refused_key_names_the_option(optiscope, monkeypatch):
    import httpx

    from service.client._exceptions import error_from_response

    answer = httpx.Response(
        401,
        json={"detail": "Missing or wrong API key: send the key in the X-API-Key header."},
        request=httpx.Request("GET", "http://127.0.0.1:8000/optimizers"),
    )

    class Refusing:
        def optimizers(self):
            raise error_from_response(answer)

        def close(self):
            pass

    monkeypatch.setattr("service.cli._main.backend", lambda *args, **kwargs: Refusing())
    result = optiscope("optimizers", "--url", "http://127.0.0.1:8000")
    assert result.code == 1
    assert result.err == (
        "optiscope: error: 401: Missing or wrong API key: send the key in the X-API-Key header. "
        "(pass --api-key or set OPTISCOPE_API_KEY)\n"
    )
