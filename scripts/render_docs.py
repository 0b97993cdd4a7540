"""Render the README's figures through the service itself: `python scripts/render_docs.py docs`.

Each figure is what POST /simulate answers for a scenario's body with `Accept: image/svg+xml` or
`image/png`, after the file's extension (the playground's screenshots come from the browser test:
`make docs` copies them).
"""

from __future__ import annotations

import sys
from pathlib import Path

FIGURES = {"tutorial.svg": "tutorial", "rosenbrock.png": "rosenbrock_valley"}  # a contour is smaller as PNG
MEDIA = {".svg": "image/svg+xml", ".png": "image/png"}


def render(target: Path) -> None:
    from fastapi.testclient import TestClient

    from service.main import create_app

    client = TestClient(create_app())
    target.mkdir(exist_ok=True)
    for filename, scenario in FIGURES.items():
        body = client.get(f"/scenarios/{scenario}").json()["request"]
        response = client.post("/simulate", json=body, headers={"accept": MEDIA[Path(filename).suffix]})
        response.raise_for_status()
        (target / filename).write_bytes(response.content)
        print(f"wrote {target / filename}")


if __name__ == "__main__":
    render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
