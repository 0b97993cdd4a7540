"""The ASGI application: `service.main:app`, built by `create_app()`."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from . import __version__
from .api import health, objectives, optimizers, schedules, simulate, sweep
from .api.cache import ResponseCache
from .api.errors import validation_handler
from .engine import warm_up
from .settings import get_settings


def operation_id(route: APIRoute) -> str:
    """Stable ids (tag-name) so generated clients keep their method names."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


log = logging.getLogger("optiscope")


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Load (or, on a fresh machine, compile once) every optimizer's kernel before the first request."""
    started = time.perf_counter()
    warm_up()
    log.info("engine ready in %.2f s", time.perf_counter() - started)
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Optiscope",
        version=__version__,
        summary="Step-by-step behaviour of gradient-based optimizers: effective learning rates and "
        "parameter trajectories, at parity with torch.optim.",
        generate_unique_id_function=operation_id,
    )
    app.add_exception_handler(RequestValidationError, validation_handler)
    for module in (simulate, sweep, optimizers, schedules, objectives, health):
        app.include_router(module.router)
    app.add_middleware(ResponseCache, entries=get_settings().response_cache_entries)
    return app


app = create_app()
