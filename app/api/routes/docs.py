"""Swagger UI (`/docs`) and ReDoc (`/redoc`), served with their assets by the app.

FastAPI's own pages load their JavaScript and CSS from a CDN: blank offline,
behind a corporate proxy or air-gapped. The assets come from the
`fastapi-offline` package instead (Swagger UI and ReDoc bundles, kept current
by its releases), mounted under `/docs/assets`. The pages are rendered once per
app; their few inline scripts are allowed by hash in the Content-Security-Policy
(see `app.middleware.security_headers.docs_csp`), so nothing else runs.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
ASSETS_DIRECTORY = Path(str(files("fastapi_offline") / "static"))
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass(frozen=True)
class DocsPages:
    swagger: str
    oauth2_redirect: str
    redoc: str

    @property
    def inline_script_hashes(self) -> list[str]:
        """base64 SHA-256 of every inline script, as CSP's 'sha256-...' wants."""
        scripts = _INLINE_SCRIPT.findall(
            self.swagger + self.oauth2_redirect + self.redoc
        )
        return [
            base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            for script in scripts
        ]


def render_docs_pages(title: str, openapi_url: str) -> DocsPages:
    favicon = f"{ASSETS_PATH}/favicon.png"
    return DocsPages(
        swagger=_text(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
                swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=favicon,
            )
        ),
        oauth2_redirect=_text(get_swagger_ui_oauth2_redirect_html()),
        redoc=_text(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} - ReDoc",
                redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        ),
    )


def _text(response: HTMLResponse) -> str:
    return bytes(response.body).decode()


def add_docs(app: FastAPI, pages: DocsPages) -> None:
    """Serve the pages and their assets (create the app with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIRECTORY), name="docs-assets")

    @app.get(SWAGGER_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(pages.swagger)

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return HTMLResponse(pages.oauth2_redirect)

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(pages.redoc)
