"""GET / serves the playground: static files shipped in the package, no build step."""

from __future__ import annotations

import re

from service.api.playground import STATIC


def test_the_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(static/[^"]+)"', page.text)
    assert "static/js/app.js" in assets and "static/style.css" in assets
    for asset in assets:
        assert client.get(f"/{asset}").status_code == 200, asset
    script = client.get("/static/js/app.js")
    assert "javascript" in script.headers["content-type"]


def test_every_module_the_page_imports_exists():
    for module in STATIC.glob("js/*.js"):
        for imported in re.findall(r'from "\./([^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / imported).is_file(), (module.name, imported)


def test_the_page_is_not_part_of_the_api_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(p.startswith("/static") for p in paths)


def test_with_an_api_key_the_page_loads_and_the_api_still_needs_the_key(client_with):
    keyed = client_with(api_key="s3cret")
    assert keyed.get("/").status_code == 200
    assert keyed.get("/static/js/app.js").status_code == 200
    assert keyed.get("/openapi.json").status_code == 200  # the docs hold no data (the key is declared there)
    for path in ("/scenarios", "/optimizers"):
        assert keyed.get(path).status_code == 401, path
        assert keyed.get(path, headers={"X-API-Key": "s3cret"}).status_code == 200, path
    # No way around the key through /static/: an escaped ../ stays inside the static files (404).
    for path in ("/static/%2E%2E/scenarios", "/static/..%2Fscenarios"):
        assert keyed.get(path).status_code == 404, path
