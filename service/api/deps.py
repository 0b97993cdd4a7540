"""Dependencies shared by the routers, as named Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from ..settings import Settings, get_settings


async def app_settings(request: Request) -> Settings:
    """The settings the app was built with (`create_app(settings)` keeps them on `app.state`), else the
    environment's (`get_settings()`). Tests inject settings with `create_app(Settings(...))`, or override
    this dependency like any other (`app.dependency_overrides[app_settings]`).

    Read from the request rather than installed as a dependency override: while any override is set,
    FastAPI re-analyses every sub-dependency's signature on every request (about 40% of the tutorial
    request's time). Async, since a plain `def` dependency costs a thread-pool round trip per request."""
    return getattr(request.app.state, "settings", None) or get_settings()


SettingsDep = Annotated[Settings, Depends(app_settings)]
