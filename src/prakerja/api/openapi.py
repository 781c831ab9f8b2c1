"""The OpenAPI document and its page at ``/schema``, served whole by this application.

The page is Swagger UI, from files shipped in the package (``static/openapi/swagger-ui``,
version and source in the README there): it works without internet access and does not
change under its users. Swagger UI's three files weigh 2.2 MB; Scalar's standalone
bundle alone is 4.9 MB.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_FILES = Path(__file__).parent / "static" / "openapi" / "swagger-ui"

DOCS_PATH = "/schema"
# The version is in the path: a browser may keep the files for as long as it likes.
_ASSETS_PATH = f"/assets/swagger-ui-{SWAGGER_UI_VERSION}"
_ONE_YEAR = 365 * 24 * 3600


def openapi_config() -> OpenAPIConfig:
    assets = f"{DOCS_PATH}{_ASSETS_PATH}"
    page = SwaggerRenderPlugin(
        version=SWAGGER_UI_VERSION,
        js_url=f"{assets}/swagger-ui-bundle.js",
        css_url=f"{assets}/swagger-ui.css",
        standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{assets}/favicon-32x32.png'>",
    )
    # Outside the API's router, so neither its guard nor its rate limits apply; the
    # bearer-token check skips /schema (prakerja.api.auth).
    router = Router(
        DOCS_PATH,
        route_handlers=[
            create_static_files_router(
                _ASSETS_PATH,
                directories=[SWAGGER_UI_FILES],
                name="openapi-assets",
                cache_control=CacheControlHeader(max_age=_ONE_YEAR, public=True),
                include_in_schema=False,
            )
        ],
        include_in_schema=False,
    )
    return OpenAPIConfig(
        title="prakerja",
        version="1",
        description="Applicant case management for a pre-employment benefit programme.",
        path=DOCS_PATH,
        openapi_router=router,
        render_plugins=[page],
        # The bearer scheme and the document's default security requirement come from
        # the JWT auth (prakerja.api.auth); public operations say ``security: []``.
    )
