"""The documentation page at /schema: everything it loads comes from this application."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import prakerja.api.app

PAGES = ["/schema", "/schema/swagger"]
ASSETS = Path(prakerja.api.app.__file__).parent / "static" / "openapi"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class References(HTMLParser):
    """Every ``src`` and ``href`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.found.append((tag, value))


def references(html: str) -> list[tuple[str, str]]:
    parser = References()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("page", PAGES)
def test_the_page_references_nothing_outside_the_application(
    client: TestClient[Any], page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    # The page embeds the OpenAPI document itself: what it says is not what the page loads.
    document = client.get("/schema/openapi.json").text
    assert document in response.text
    html = response.text.replace(document, "")
    assert not re.search(r"https?:", html, re.IGNORECASE), html
    assert "//cdn" not in html
    found = references(html)
    assert {tag for tag, _ in found} >= {"script", "link"}
    for _, url in found:
        assert url.startswith("/") and not url.startswith("//"), url


def test_every_asset_the_page_references_is_served_as_what_it_is(
    client: TestClient[Any],
) -> None:
    urls = {url for _, url in references(client.get("/schema").text)}
    assert len(urls) >= 4  # two scripts, the stylesheet, the icon
    for url in urls:
        response = client.get(url)  # no token: the page is public
        assert response.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert response.headers["content-type"].startswith(expected), url
        shipped = ASSETS / "swagger-ui" / Path(url).name
        assert response.content == shipped.read_bytes()


def test_the_stylesheet_loads_nothing_from_elsewhere(client: TestClient[Any]) -> None:
    page = client.get("/schema").text
    stylesheet = next(url for tag, url in references(page) if url.endswith(".css"))
    response = client.get(stylesheet)
    assert response.status_code == 200
    css = response.text
    assert "@import" not in css
    for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
        assert target.startswith("data:"), target


def test_the_assets_are_pinned_to_the_version_recorded_beside_them(
    client: TestClient[Any],
) -> None:
    from prakerja.api.openapi import SWAGGER_UI_VERSION

    notice = (ASSETS / "swagger-ui" / "README.md").read_text()
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}" in notice
    urls = [url for _, url in references(client.get("/schema").text)]
    assert all(f"/swagger-ui-{SWAGGER_UI_VERSION}/" in url for url in urls)
    script = client.get(next(u for u in urls if u.endswith("swagger-ui-bundle.js")))
    assert f'"{SWAGGER_UI_VERSION}"' in script.text
    assert "max-age" in script.headers["cache-control"]
    for licence in ("LICENSE", "NOTICE"):
        assert (ASSETS / "swagger-ui" / licence).is_file()


def test_the_assets_are_neither_guarded_nor_limited_nor_documented(
    client: TestClient[Any],
) -> None:
    url = next(u for _, u in references(client.get("/schema").text) if u.endswith(".css"))
    for _ in range(30):
        assert client.get(url, headers={"x-forwarded-for": "203.0.113.9"}).status_code == 200
    # A bad token is not looked at either: the documentation is public.
    assert client.get(url, headers={"authorization": "Bearer nonsense"}).status_code == 200
    app = client.app
    handlers = [
        handler
        for route in app.routes
        if route.path.startswith("/schema/assets")
        for handler in getattr(route, "route_handlers", [])
    ]
    assert handlers
    assert all(not handler.resolve_guards() for handler in handlers)
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/schema")]
