"""The app's start-up makes every compiled kernel ready, so the first request pays nothing for it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api import floatjson
from service.engine import REGISTRY, compiled
from service.main import create_app


def test_start_up_loads_every_compiled_kernel(monkeypatch):
    monkeypatch.setattr(floatjson, "_compiled", None)
    with TestClient(create_app()) as client:
        assert floatjson._compiled is not None  # the JSON number writer too (from the disk cache)
        assert client.post("/simulate", json={}).status_code == 200
    ready = set(compiled.warm_up(REGISTRY))
    assert ready == {name for name, optimizer in REGISTRY.items() if compiled.supports(optimizer)}


def test_kernel_files_are_rewritten_only_when_the_engine_changes(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    optimizer = REGISTRY["sgd"]
    digest = compiled.source_digest()
    path = tmp_path / "kernel.py"
    compiled._write_if_changed(path, compiled.kernel_source(optimizer, digest))
    stamp = path.stat().st_mtime_ns
    compiled._write_if_changed(path, compiled.kernel_source(optimizer, digest))
    assert path.stat().st_mtime_ns == stamp
    compiled._write_if_changed(path, compiled.kernel_source(optimizer, "another"))
    assert "source hash: another" in path.read_text()
