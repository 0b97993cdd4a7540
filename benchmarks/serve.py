"""The app for the HTTP benchmark: the service as deployed, plus `POST /bare`, which returns the
tutorial response's bytes without validating, computing or serializing anything, on the event loop
like the tutorial request itself (the ceiling)."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import Response

from service.api.models import SimulateRequest
from service.api.simulate import simulate_response
from service.main import create_app
from service.settings import get_settings

app = create_app()
BODY = simulate_response(SimulateRequest(), get_settings()).body


@app.post("/bare", include_in_schema=False)
async def bare() -> Response:
    return Response(BODY, media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, log_level="warning", access_log=False)
