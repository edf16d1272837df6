"""The docs pages work offline: every asset they load is served by the app."""

import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

EXPECTED_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
}
# Loaded by the pages' scripts rather than named in their HTML.
BUNDLES = {
    "/docs": ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"],
    "/redoc": ["/docs/assets/redoc.standalone.js"],
}


class AssetReferences(HTMLParser):
    """The URLs a page's <script>, <link> and <img> elements load, and inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = {"script": values.get("src"), "link": values.get("href")}.get(
            tag, values.get("src") if tag == "img" else None
        )
        if url:
            self.urls.append(url)
        self._in_inline_script = tag == "script" and not values.get("src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)


def references(page: str) -> AssetReferences:
    parser = AssetReferences()
    parser.feed(page)
    return parser


def csp_sha256(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


async def assert_served_locally(client: httpx.AsyncClient, url: str) -> str:
    assert not urlsplit(url).netloc, f"{url} is loaded from another host"
    response = await client.get(url)
    assert response.status_code == 200, url
    suffix = re.search(r"\.\w+$", urlsplit(url).path)
    assert suffix is not None, url
    assert response.headers["content-type"].startswith(
        EXPECTED_TYPES[suffix.group()]
    ), url
    return response.text if suffix.group() in {".js", ".css"} else ""


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_every_asset_of_the_docs_page_is_served_by_the_app(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    found = references(page.text)

    assert set(BUNDLES[path]) <= set(found.urls)
    for url in found.urls:
        body = await assert_served_locally(client, url)
        # Stylesheets load their own images and fonts: those are local too.
        for nested in re.findall(
            r"url\(['\"]?([^'\")]+)", body if ".css" in url else ""
        ):
            if not nested.startswith("data:"):
                await assert_served_locally(client, urljoin(url, nested))


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_the_docs_policy_allows_self_and_the_pages_own_inline_scripts_only(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    policy = page.headers["content-security-policy"]

    assert page.status_code == 200
    assert "http" not in policy
    assert "'unsafe-eval'" not in policy
    script_sources = re.search(r"script-src ([^;]+)", policy)
    assert script_sources is not None
    assert "'unsafe-inline'" not in script_sources.group(1)
    for script in references(page.text).inline_scripts:
        assert csp_sha256(script) in script_sources.group(1)
    assert "googleapis" not in page.text
    assert "cdn." not in page.text


async def test_swagger_authorize_uses_the_login_route_and_the_local_redirect(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    schema = (await client.get("/api/v1/openapi.json")).json()

    assert "url: '/api/v1/openapi.json'" in page.text
    assert "'/docs/oauth2-redirect'" in page.text
    flows = [
        scheme["flows"]
        for scheme in schema["components"]["securitySchemes"].values()
        if scheme["type"] == "oauth2"
    ]
    assert [flow["password"]["tokenUrl"] for flow in flows] == ["/api/v1/auth/login"]
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "swaggerUIRedirectOauth2" in redirect.text
