"""deploy/nginx.conf for real: nginx (Debian package) in front of two replicas started as the container
starts them, all on loopback. Compose would resolve `replica` to every replica; here the upstream lists the
two ports, the listen address is loopback, and pid and temporary files go to the test's directory."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import subprocess
import time

from tests.server import ROOT, free_port, running_server


def render(config: str, replicas: list[int], port: int, workdir) -> str:
    upstream = "\n".join(f"        server 127.0.0.1:{p};" for p in replicas)
    config = re.sub(r"^\s*server replica:8000.*$", upstream, config, flags=re.MULTILINE)
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    config = config.replace("pid /tmp/nginx.pid;", f"pid {workdir}/nginx.pid;")
    temp = "".join(
        f"    {kind}_temp_path {workdir}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return config.replace("http {\n", "http {\n" + temp, 1)


def get(port: int, path: str, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()  # headers: case-insensitive
    finally:
        connection.close()


def test_nginx_spreads_requests_over_replicas_and_forwards_request_ids(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    with running_server(tmp_path) as first, running_server(tmp_path) as second:
        config = tmp_path / "nginx.conf"
        config.write_text(
            render((ROOT / "deploy" / "nginx.conf").read_text(), [first.port, second.port], port, tmp_path)
        )
        log = (tmp_path / "nginx.log").open("wb")
        proxy = subprocess.Popen(
            [nginx, "-e", "/dev/stderr", "-c", str(config), "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError):
                    if get(port, "/proxy-health")[0] == 200:
                        break
                assert proxy.poll() is None, (tmp_path / "nginx.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
            for i in range(10):
                status, headers, body = get(port, "/version", {"X-Request-ID": f"via-proxy-{i}"})
                assert (status, headers["X-Request-ID"]) == (200, f"via-proxy-{i}")
                assert json.loads(body)["version"]
            status, headers, _ = get(port, "/healthz")
            assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
            log.close()
        first.stop(), second.stop()
    served = [
        {line["request_id"] for line in map(json.loads, server.log_lines()) if line.get("path") == "/version"}
        for server in (first, second)
    ]
    assert served[0] | served[1] == {f"via-proxy-{i}" for i in range(10)}
    assert served[0] and served[1], "both replicas served requests"
