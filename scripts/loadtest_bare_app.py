"""The comparison point for the load test: POST /simulate alone, without middleware, logging or the
other routers. `uvicorn scripts.loadtest_bare_app:app` serves it; never deployed."""

from fastapi import FastAPI

from service.api import simulate
from service.api.errors import validation_handler
from service.api.metrics import Metrics
from service.main import RequestValidationError

app = FastAPI()
app.state.metrics = Metrics()
app.add_exception_handler(RequestValidationError, validation_handler)
app.include_router(simulate.router)
