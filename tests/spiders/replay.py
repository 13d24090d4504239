"""A real HTTP server on 127.0.0.1 replaying recorded responses, with scripted faults.

Scrapy does real HTTP against it (no mocks): each route is a function of the request (method,
path, query, headers, body) returning a `Reply`, so an API route can honour paging and date
filters the way the real service does. Faults are scripted per route and consumed one per hit:

    "500", "503", "429"   the status (429 carries Retry-After: 0), then the next hit
    "timeout"             no answer for `hang_s` seconds, then the connection closes
    "truncate"            announces the full Content-Length, sends half the body, closes
    "cut-json"            a complete HTTP response whose body is cut in half (invalid JSON/XML)
    "latin1"              the body re-encoded as Latin-1 while the headers still say UTF-8
    "garbage"             bytes that no text encoding or format accepts

Conditional GETs are answered by `static(..., etag=..., last_modified=...)`: a request carrying
the same validator gets 304 without a body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Hit:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Hit], Reply]


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class ReplayServer:
    """Routes by path; `faults[path]` is the scripted list of faults still to play on that path."""

    def __init__(self, hang_s: float = 3.0) -> None:
        self.routes: dict[str, Handler] = {}
        self.faults: dict[str, list[str]] = {}
        self.hits: list[Hit] = []
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    # ------------------------------------------------------------------ routes

    def route(self, path: str, handler: Handler, faults: list[str] | None = None) -> str:
        self.routes[path] = handler
        if faults:
            self.faults[path] = list(faults)
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
        faults: list[str] | None = None,
    ) -> str:
        """A fixed body, with optional validators answered by 304."""

        def handler(hit: Hit) -> Reply:
            headers = {}
            if etag:
                headers["ETag"] = etag
                if hit.headers.get("if-none-match") == etag:
                    return Reply(304, b"", content_type, headers)
            if last_modified:
                headers["Last-Modified"] = last_modified
                if not etag and hit.headers.get("if-modified-since") == last_modified:
                    return Reply(304, b"", content_type, headers)
            return Reply(200, body, content_type, headers)

        return self.route(path, handler, faults)

    def hits_on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    # ------------------------------------------------------------------ serving

    def _next_fault(self, path: str) -> str | None:
        with self._lock:
            script = self.faults.get(path)
            return script.pop(0) if script else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                hit = Hit(
                    method,
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                server.hits.append(hit)
                handler = server.routes.get(parts.path)
                if handler is None:
                    self._send(Reply(404, b"not found", "text/plain"))
                    return
                fault = server._next_fault(parts.path)
                if fault == "timeout":
                    time.sleep(server.hang_s)
                    self.close_connection = True
                    return
                if fault and fault.isdigit():
                    extra = {"Retry-After": "0"} if fault == "429" else {}
                    self._send(Reply(int(fault), b"{}", headers=extra))
                    return
                reply = handler(hit)
                if fault == "truncate":
                    self._send(reply, truncate=True)
                    return
                if fault == "cut-json":
                    reply.body = reply.body[: len(reply.body) // 2]
                elif fault == "latin1":
                    reply.body = reply.body.decode("utf-8").encode("latin-1", errors="replace")
                elif fault == "garbage":
                    reply.body = b"\xff\xfe\x00\x81\x8d" * 50
                self._send(reply)

            def _send(self, reply: Reply, truncate: bool = False) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if truncate:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command == "HEAD" or reply.status == 304:
                    return
                self.wfile.write(reply.body[: len(reply.body) // 2] if truncate else reply.body)
                self.wfile.flush()
                if truncate:
                    self.close_connection = True

        return _Handler
