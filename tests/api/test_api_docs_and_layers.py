"""Interactive docs served from this site (no CDN), and the API's imports (app/ and core/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient

import veilleuse.api

API = Path(veilleuse.api.__file__).resolve().parent


def test_docs_page_and_its_files_come_from_this_site(anonymous: TestClient) -> None:
    page = anonymous.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and "<style" not in page.text
    for asset in [s for s in sources if s.startswith("/api/docs/")]:
        response = anonymous.get(asset)
        assert response.status_code == 200 and len(response.content) > 200, asset
    bundle = anonymous.get("/api/docs/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text and bundle.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "/api/openapi.json" in anonymous.get("/api/docs/docs.js").text
    assert anonymous.get("/api/docs/index.html").status_code == 404
    assert anonymous.get("/api/docs/..%2Fschemas.py").status_code == 404
    assert anonymous.get("/docs").status_code == 404  # FastAPI's CDN pages stay off


def test_the_api_imports_app_and_core_only() -> None:
    allowed = ("veilleuse.api", "veilleuse.app", "veilleuse.core")
    for path in API.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("veilleuse"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"
