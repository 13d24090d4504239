"""`/api/docs`: interactive documentation (Swagger UI) without any CDN.

Swagger UI's files come from the PyPI package `swagger-ui-bundle-v2` (import name
`swagger_ui_bundle`, Swagger UI 5, which reads OpenAPI 3.1 as FastAPI writes it); the page and
its start-up script are ours, in `api/static/`, so nothing runs inline (the site's CSP allows
scripts and styles from this site only). Only the listed files are served.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from swagger_ui_bundle import swagger_ui_path

from veilleuse.core.errors import NotFoundError

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parents[1] / "static"
SWAGGER_UI = Path(str(swagger_ui_path))
ASSETS = {
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": (
        SWAGGER_UI / "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "docs.js": (STATIC / "docs.js", "text/javascript; charset=utf-8"),
    "docs.css": (STATIC / "docs.css", "text/css; charset=utf-8"),
}
CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/api/docs")
def docs_page() -> Response:
    return FileResponse(STATIC / "docs.html", media_type="text/html; charset=utf-8")


@router.get("/api/docs/{name}")
def docs_asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        raise NotFoundError(f"aucun fichier {name!r} dans la documentation de l'API")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers=CACHE)
