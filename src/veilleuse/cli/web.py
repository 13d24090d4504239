"""`veilleuse web`: serve the web application with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from veilleuse.cli.output import out
from veilleuse.config.logging_setup import setup_logging
from veilleuse.config.settings import get_settings


def web(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default: web.host")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on; default: web.port")] = None,
) -> None:
    """Serve the web application (log in at /connexion)."""
    import uvicorn

    from veilleuse.web.app import create_app

    settings = get_settings()
    host = host or settings.web.host
    port = port or settings.web.port
    out.print(f"Veilleuse web: http://{host}:{port}/connexion (Ctrl+C to stop)")
    # uvicorn trusts X-Forwarded-For only from 127.0.0.1 (a local reverse proxy), so the
    # login throttle counts real client addresses behind such a proxy
    # uvicorn's loggers go through Veilleuse's set-up (format, level, redaction)
    setup_logging(settings)
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True, log_config=None)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
