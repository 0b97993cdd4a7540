"""Dependencies shared by the routers, as named Annotated aliases."""

from typing import Annotated

from fastapi import Depends

from ..settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]
