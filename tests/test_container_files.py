"""The container files agree with the service: there is no Docker engine here, so these structural checks
(with `make lint`: hadolint, the Compose schema, `nginx -t`) stand in for building the image."""

from __future__ import annotations

import re
import tomllib

import yaml

from service.settings import Settings
from tests.server import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def test_base_images_are_pinned_and_the_runtime_is_unprivileged():
    bases = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert len(bases) == 2 and len(set(bases)) == 1, "builder and runtime share one pinned base"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", bases[0])
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, flags=re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK .*$", DOCKERFILE, flags=re.MULTILINE).group(0)
    assert healthcheck.endswith('CMD ["python", "-m", "service.healthcheck"]')


def test_the_image_sets_port_and_workers_from_the_environment():
    for variable in ("OPTISCOPE_HOST=0.0.0.0", "OPTISCOPE_PORT=8000", "OPTISCOPE_WORKERS=1"):
        assert variable in DOCKERFILE
    assert "EXPOSE 8000" in DOCKERFILE


def test_compose_healthcheck_and_stop_grace_fit_the_service():
    base = COMPOSE["services"]["optiscope"]
    assert base["healthcheck"]["test"] == ["CMD", "python", "-m", "service.healthcheck"]
    grace = int(base["stop_grace_period"].removesuffix("s"))
    shutdown = float(base["environment"]["OPTISCOPE_SHUTDOWN_TIMEOUT"])
    budget = float(base["environment"]["OPTISCOPE_COMPUTE_BUDGET_SECONDS"])
    assert budget < shutdown < grace, "requests in flight must finish before Docker's SIGKILL"
    assert base["restart"] == "unless-stopped" and base["deploy"]["resources"]["limits"]["memory"]


def test_the_scaled_profile_runs_replicas_behind_nginx():
    replica, proxy = COMPOSE["services"]["replica"], COMPOSE["services"]["proxy"]
    assert replica["profiles"] == proxy["profiles"] == ["scaled"]
    assert replica["deploy"]["replicas"] >= 2 and replica["environment"]["OPTISCOPE_WORKERS"] == "1"
    assert proxy["depends_on"]["replica"]["condition"] == "service_healthy"
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert re.search(r"server replica:8000\b", NGINX)


def test_nginx_body_limit_matches_the_service():
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", NGINX).group(1))
    assert megabytes * 1024 * 1024 == Settings().max_body_bytes
    assert COMPOSE["x-optiscope"]["environment"]["OPTISCOPE_MAX_BODY_BYTES"] == str(Settings().max_body_bytes)


def test_the_image_gets_only_what_it_needs():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*"
    assert {"!pyproject.toml", "!README.md", "!service/", "!deploy/constraints.txt"} <= set(ignored)
    copied = re.findall(r"^COPY (?!--from)(.+?) \S+$", DOCKERFILE, flags=re.MULTILINE)
    assert copied == ["deploy/constraints.txt", "pyproject.toml README.md", "service"]


def test_the_image_pins_every_runtime_dependency_and_can_draw_figures():
    """The image installs deploy/constraints.txt, then the package with --no-deps: every dependency of the
    package and of its `figures` extra must be pinned there, or the image lacks it (figures answer 406)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["figures"]]
    names = {re.match(r"[A-Za-z0-9._-]+", requirement).group(0) for requirement in wanted}
    lines = (ROOT / "deploy" / "constraints.txt").read_text().splitlines()
    pinned = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    normal = {name.lower().replace("_", "-"): version for name, version in pinned.items()}
    assert {name.lower().replace("_", "-") for name in names} <= set(normal)
    assert "matplotlib" in normal
    # A read-only root (Compose's read_only): matplotlib writes its font cache under the tmpfs.
    assert "MPLCONFIGDIR=/tmp/matplotlib" in DOCKERFILE and "/tmp" in COMPOSE["x-optiscope"]["tmpfs"]
