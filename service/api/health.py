"""Liveness, readiness and version.

/healthz runs on the event loop and touches nothing else: it answers while every worker thread computes.
/readyz runs where simulations run (the thread pool) and simulates one step, so it answers slowly or
not at all when the service cannot take more work, and a balancer sends traffic elsewhere.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, Field

from .. import __version__
from ..engine import REGISTRY, RunSpec, simulate
from .deps import SettingsDep
from .errors import UNAUTHORIZED

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Version(BaseModel):
    version: str = Field(description="Package version.")
    git_revision: str | None = Field(description="Source revision the image was built from, when known.")


# HEAD too (some monitors probe with it), answered like GET without the body; left out of the OpenAPI
# document, where it would repeat GET's operation.
@router.get("/healthz", summary="Liveness: the process answers")
@router.head("/healthz", include_in_schema=False)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", summary="Readiness: a simulation can run now")
@router.head("/readyz", include_in_schema=False)
def readyz() -> Health:
    simulate(np.ones((1, 1)), [RunSpec(REGISTRY["sgd"])], record=())
    return Health(status="ready")


@router.get("/version", summary="Package version and source revision", responses=UNAUTHORIZED)
def version(settings: SettingsDep) -> Version:
    return Version(version=__version__, git_revision=settings.git_revision)
