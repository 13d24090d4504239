"""Payload encodings: UTF-16/32 (by BOM, or by the null-byte pattern of their first characters)
and XML-declared encodings are turned into UTF-8 once, before sniffing, so that every parser
and sniffer only ever sees UTF-8 (or the single-byte text French publishers still export).

An encoding that cannot be used is a Problem naming it, never "format not recognised".
"""

from __future__ import annotations

import codecs
import re

from veilleuse.spiders.parsers.base import Problem

#: longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_TEXT_DECL = re.compile(r"^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"'])([^\"']*)([\"'])")


def sniff_encoding(data: bytes) -> tuple[str | None, int]:
    """(encoding, BOM length) for a UTF-16/32 payload, with or without BOM; (None, 0) otherwise.

    Without a BOM, the first two characters of a JSON or XML document are ASCII, so their
    null bytes tell the width and the byte order (the method of RFC 4627, section 3)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return (None, len(bom)) if name == "utf-8" else (name, len(bom))
    head = data[:4]
    if len(head) == 4:
        if head[:3] == b"\0\0\0" and head[3]:
            return "utf-32-be", 0
        if head[0] and head[1:] == b"\0\0\0":
            return "utf-32-le", 0
        if head[0] == 0 and head[1] and head[2] == 0 and head[3]:
            return "utf-16-be", 0
        if head[0] and head[1] == 0 and head[2] and head[3] == 0:
            return "utf-16-le", 0
    return None, 0


def to_utf8(data: bytes, origin: str) -> tuple[bytes | None, Problem | None]:
    """The payload as UTF-8 bytes (unchanged when it already is ASCII-compatible), or a Problem.

    A UTF-16/32 payload is decoded and its XML declaration, if any, rewritten to say UTF-8; an
    XML declaration naming an encoding Python does not know is reported by name."""
    encoding, bom = sniff_encoding(data)
    if encoding is None:
        declared = _XML_DECL.match(data[bom:])
        if declared is not None:
            name = declared.group(1).decode("ascii")
            try:
                codecs.lookup(name)
            except LookupError:
                return None, Problem(origin, f"unknown encoding {name!r} declared by the XML")
            if name.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs")):
                return None, Problem(origin, f"declared encoding {name!r} but no {name} bytes")
        return data, None
    try:
        text = data[bom:].decode(encoding)
    except UnicodeDecodeError as exc:
        return None, Problem(origin, f"invalid {encoding.upper()} text at byte {exc.start + bom}")
    text = _TEXT_DECL.sub(r"\g<1>UTF-8\g<3>", text, count=1)
    return text.encode("utf-8"), None
