"""The app's start-up makes every compiled kernel ready, so the first request pays nothing for it."""

from __future__ import annotations

import os
import subprocess
import sys

from fastapi.testclient import TestClient

from service.api import floatjson
from service.engine import REGISTRY, compiled
from service.main import create_app
from service.precompile import compile_all


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


# A fresh process: how many of the kernels' and the JSON writer's machine codes it loaded, and compiled.
LOADS = """
from service.api import floatjson
from service.engine import REGISTRY, compiled
from service.precompile import main
main()
functions = [compiled.kernel_function(o) for o in REGISTRY.values() if compiled.supports(o)] + [floatjson._compiled]
print(*(sum(sum(getattr(f.stats, n).values()) for f in functions) for n in ("cache_hits", "cache_misses")))
"""


def test_a_seeded_empty_cache_loads_the_machine_code_instead_of_compiling(tmp_path):
    """What a container does at start: its own cache is empty, the image's (compiled when it was built) is
    OPTISCOPE_KERNEL_SEED. Here the seed is this machine's cache, which warm-up has filled."""
    compile_all()
    seed, cache = compiled.cache_dir(), tmp_path / "cache"
    environment = {**os.environ, compiled.CACHE_ENV: str(cache), compiled.SEED_ENV: str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", LOADS], env=environment, capture_output=True, text=True, timeout=600, check=True
    )
    hits, misses = map(int, done.stdout.split()[-2:])
    functions = sum(compiled.supports(o) for o in REGISTRY.values()) + 1
    assert (hits, misses) == (functions, 0)
    assert (cache / compiled.source_digest()).is_dir()
    assert not list(cache.glob(".seeding-*"))


def test_a_missing_seed_or_the_cache_itself_as_seed_copies_nothing(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    compiled._seed.__wrapped__(tmp_path / "none", cache)
    compiled._seed.__wrapped__(cache, cache)
    assert list(cache.iterdir()) == []
