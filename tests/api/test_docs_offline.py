"""The API documentation works without internet access, and says which version it documents.

Each viewer page may reference only the ledger itself: every script, style sheet, icon and
link it names is a path the app serves, never a CDN's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.metadata import version
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.settings import Settings

VIEWERS = ["/docs", "/redoc"]
# Any URL a page names: in an attribute, in a script's string, or bare in the text.
ATTRIBUTE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
ABSOLUTE = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
QUOTED_PATH = re.compile(r"""["'](/[^"'\s]*)["']""")


@pytest.fixture
def client() -> Iterator[TestClient]:
    """No key: the documentation is public."""
    with TestClient(create_app(Settings(database_url="memory://"))) as test_client:
        yield test_client


def referenced(page: str) -> set[str]:
    return set(ATTRIBUTE.findall(page)) | set(QUOTED_PATH.findall(page))


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_documentation_page_names_no_address_outside_the_ledger(
    client: TestClient, viewer: str
) -> None:
    answer = client.get(viewer)
    assert answer.status_code == 200
    assert "text/html" in answer.headers["content-type"]
    outside = [url for url in ABSOLUTE.findall(answer.text) if urlsplit(url).netloc]
    assert outside == [], f"{viewer} loads from outside the ledger"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_asset_a_documentation_page_names_is_served_by_the_app(
    client: TestClient, viewer: str
) -> None:
    page = client.get(viewer).text
    assets = referenced(page)
    scripts = [asset for asset in assets if asset.endswith(".js")]
    assert scripts, f"{viewer} names no script: the pattern no longer finds them"
    for asset in assets:
        answer = client.get(urljoin(f"http://testserver{viewer}", asset))
        assert answer.status_code == 200, asset
        assert answer.content, asset


def test_the_swagger_ui_script_served_is_the_real_bundle(client: TestClient) -> None:
    page = client.get("/docs").text
    [script] = [a for a in referenced(page) if a.endswith("swagger-ui-bundle.js")]
    body = client.get(script).text
    assert "SwaggerUIBundle" in body
    assert len(body) > 100_000


def test_the_openapi_document_gives_the_installed_package_version(client: TestClient) -> None:
    info = client.get("/openapi.json").json()["info"]
    assert info["version"] == version("sanctions-ledger")
