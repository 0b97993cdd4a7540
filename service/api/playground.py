"""GET /: the playground, a single static page (HTML, CSS and JavaScript modules under service/static/).

No build step: the files are served as they are. The page talks to the API with relative URLs, so it also
works behind a path prefix.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def playground() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
