"""Opaque paging cursors: a small JSON payload, base64url, signed with HMAC-SHA256.

A cursor names its kind (`notices`, `changes`) and carries a fingerprint of the query it pages
(the canonical query string without paging), so it cannot be replayed on another query or on
another endpoint, and its signature makes any edit visible: each case is a 400 naming `cursor`.
The key is derived from the application's session key, so cursors stay valid across restarts
and become invalid when that key is rotated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from veilleuse.api.problems import BadParameters

_SIGNATURE_BYTES = 16
MAX_CURSOR_LENGTH = 2000


def derive_key(secret: str) -> bytes:
    """The cursor signing key: never the session key itself."""
    return hmac.new(secret.encode(), b"veilleuse api cursor v1", hashlib.sha256).digest()


def fingerprint(kind: str, canonical_query: str) -> str:
    return hashlib.sha256(f"{kind}\n{canonical_query}".encode()).hexdigest()[:24]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:_SIGNATURE_BYTES])


def encode_cursor(key: bytes, kind: str, query_fingerprint: str, position: dict[str, Any]) -> str:
    payload = {"k": kind, "f": query_fingerprint, "p": position}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_sign(key, body)}"


def decode_cursor(key: bytes, kind: str, query_fingerprint: str, cursor: str) -> dict[str, Any]:
    """The position a cursor carries; BadParameters when it was altered, comes from another
    endpoint, or pages another query."""
    invalid = {"cursor": "Paramètre cursor : curseur invalide ou altéré."}
    body, _, signature = cursor.partition(".")
    if len(cursor) > MAX_CURSOR_LENGTH or not body or not signature:
        raise BadParameters(invalid)
    if not hmac.compare_digest(_sign(key, body).encode(), signature.encode("ascii", "replace")):
        raise BadParameters(invalid)
    try:
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        raise BadParameters(invalid) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), dict):
        raise BadParameters(invalid)
    if payload.get("k") != kind or payload.get("f") != query_fingerprint:
        raise BadParameters(
            {
                "cursor": "Paramètre cursor : ce curseur pagine une autre requête ; reprenez "
                "avec les paramètres qui l'ont donné, ou sans cursor."
            }
        )
    position: dict[str, Any] = payload["p"]
    return position
