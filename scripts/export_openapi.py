"""Write the app's OpenAPI document: `python scripts/export_openapi.py openapi/openapi.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def render() -> str:
    from service.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
