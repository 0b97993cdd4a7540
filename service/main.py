"""The ASGI application: `service.main:app`, built by `create_app()`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from . import __version__
from .api import health, objectives, optimizers, playground, scenarios, schedules, simulate
from .api.errors import validation_handler


def operation_id(route: APIRoute) -> str:
    """Stable ids (tag-name) so generated clients keep their method names."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app() -> FastAPI:
    app = FastAPI(
        title="Optiscope",
        version=__version__,
        summary="Step-by-step behaviour of gradient-based optimizers: effective learning rates and "
        "parameter trajectories, at parity with torch.optim.",
        generate_unique_id_function=operation_id,
    )
    app.add_exception_handler(RequestValidationError, validation_handler)
    for module in (simulate, optimizers, schedules, objectives, scenarios, health):
        app.include_router(module.router)
    playground.mount(app)
    return app


app = create_app()
