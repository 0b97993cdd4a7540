"""Settings come from OPTISCOPE_ environment variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.engine import batch
from service.settings import Settings, SettingsError, get_settings
from tests.servers import free_port


def test_defaults():
    settings = Settings()
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert (settings.log_level, settings.log_format, settings.cors_origins) == ("info", "json", [])
    assert settings.api_key is None and settings.git_revision is None
    assert settings.max_body_bytes == 10 * 1024 * 1024 and settings.compute_budget_seconds == 10.0


def test_environment_variables(monkeypatch):
    env = {
        "OPTISCOPE_HOST": "0.0.0.0",
        "OPTISCOPE_PORT": "9000",
        "OPTISCOPE_WORKERS": "2",
        "OPTISCOPE_LOG_LEVEL": "WARNING",
        "OPTISCOPE_LOG_FORMAT": "text",
        "OPTISCOPE_CORS_ORIGINS": "https://a.example, https://b.example",
        "OPTISCOPE_API_KEY": "hunter2",
        "OPTISCOPE_GIT_REVISION": "abc123",
        "OPTISCOPE_MAX_BODY_BYTES": "1024",
        "OPTISCOPE_MAX_WORK": "5",
        "OPTISCOPE_COMPUTE_BUDGET_SECONDS": "2.5",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert (settings.host, settings.port, settings.workers, settings.log_level) == ("0.0.0.0", 9000, 2, "warning")
    assert settings.log_format == "text"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.api_key.get_secret_value() == "hunter2" and "hunter2" not in repr(settings)
    assert (settings.git_revision, settings.max_body_bytes, settings.max_work) == ("abc123", 1024, 5)
    assert settings.compute_budget_seconds == 2.5


def test_empty_api_key_and_revision_mean_unset(monkeypatch):
    monkeypatch.setenv("OPTISCOPE_API_KEY", "")
    monkeypatch.setenv("OPTISCOPE_GIT_REVISION", " ")
    settings = Settings()
    assert settings.api_key is None and settings.git_revision is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OPTISCOPE_PORT", "0"),
        ("OPTISCOPE_LOG_FORMAT", "xml"),
        ("OPTISCOPE_WORKERS", "0"),
        ("OPTISCOPE_MAX_WORK", "-1"),
        ("OPTISCOPE_THREADS", "abc"),  # read by the engine, checked here: never a 500 at request time
        ("OPTISCOPE_THREADS", "0"),
        ("OPTISCOPE_THREADS", "4.0"),  # pydantic's int would take it; the engine's rule does not
    ],
)
def test_bad_values_fail_at_start(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("OPTISCOPE_").lower()):
        Settings()


def test_the_readme_documents_every_setting():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"| `OPTISCOPE_{name.upper()}` |" in readme, name


def test_a_blank_thread_count_means_the_machines_cores(monkeypatch):
    monkeypatch.setenv("OPTISCOPE_THREADS", " ")
    assert Settings().threads is None
    monkeypatch.setenv("OPTISCOPE_THREADS", "3")
    assert Settings().threads == 3


@pytest.mark.parametrize(
    ("files", "cores"),
    [
        ({}, 64),  # no cgroup files: the affinity
        ({"cpu.max": "max 100000\n"}, 64),  # v2, no limit
        ({"cpu.max": "150000 100000\n"}, 2),  # v2, `cpus: "1.5"`: rounded up
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 64),  # v1, no limit
        ({"cpu.max": "garbage"}, 64),
    ],
)
def test_the_default_thread_count_follows_a_containers_cpu_limit(monkeypatch, tmp_path, files, cores):
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert batch.usable_cores(tmp_path) == cores


def test_get_settings_names_the_variable_and_its_value(monkeypatch):
    monkeypatch.setenv("OPTISCOPE_MAX_STEPS", "-1")
    monkeypatch.setenv("OPTISCOPE_THREADS", "abc")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(caught.value)
    assert message.startswith("bad setting: OPTISCOPE_MAX_STEPS='-1': Input should be greater than or equal to 1")
    assert "OPTISCOPE_THREADS='abc': Value error, 'abc' is not a whole number of threads" in message


def test_the_server_refuses_to_start_with_a_bad_setting():
    environment = {**os.environ, "OPTISCOPE_THREADS": "abc", "OPTISCOPE_PORT": str(free_port())}
    result = subprocess.run(
        [sys.executable, "-m", "service"], capture_output=True, text=True, timeout=120, env=environment
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "optiscope: error: bad setting: OPTISCOPE_THREADS='abc': Value error, 'abc' is not a whole number of threads"
    )
