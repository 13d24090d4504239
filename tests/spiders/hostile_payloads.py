"""Real samples per registered parser, and hostile payloads built from them (boundary and fuzz
tests share these). Samples are the recorded real files of `data/samples/` (provenance in each
folder's README), plus `../shared/data/real/` when that folder sits next to the checkout."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from veilleuse.spiders.parsers import detect, parsers
from veilleuse.spiders.recorded import recorded_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIRS = (ROOT / "data" / "samples", ROOT.parent / "shared" / "data" / "real")


@cache
def samples_by_parser() -> dict[str, tuple[bytes, ...]]:
    """Registered parser module → the bytes of every sample file it claims (detection order)."""
    names = {id(parser): module for module, parser in parsers().items()}
    found: dict[str, dict[bytes, None]] = {module: {} for module in parsers()}
    for folder in SAMPLE_DIRS:
        if not folder.is_dir():
            continue
        for path in recorded_files(folder):
            data = path.read_bytes()
            parser = detect(data, path.name)
            if parser is not None:
                found[names[id(parser)]][data] = None
    return {module: tuple(files) for module, files in found.items()}


def first_sample(module: str) -> bytes:
    return samples_by_parser()[module][0]


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>\n"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>\n'
)
_NUMBER = re.compile(rb"(?<=[:\[,]\s)-?\d+(?:\.\d+)?(?=[,}\]\s])|(?<=[:\[,])-?\d+(?=[,}\]])")
_XML_TEXT = re.compile(rb">([^<>]{2,40})<")


def with_number(data: bytes, literal: bytes) -> bytes:
    """`data` with its first JSON number (or XML text) replaced by `literal`; or with `literal`
    added as a new member of its first object when it has neither."""
    match = _NUMBER.search(data) or _XML_TEXT.search(data)
    if match is not None:
        start, end = match.span(1) if match.re is _XML_TEXT else match.span()
        return data[:start] + literal + data[end:]
    brace = data.find(b"{")
    return data[: brace + 1] + b'"hostile": ' + literal + b"," + data[brace + 1 :]


def hostile_cases(module: str) -> dict[str, bytes]:
    """Named hostile payloads for one parser, built from its first real sample."""
    sample = first_sample(module)
    return {
        "empty": b"",
        "blank": b" \n\t ",
        "truncated-half": sample[: len(sample) // 2],
        "truncated-1-byte": sample[:1],
        "5000-digit-integer": with_number(sample, b"9" * 5000),
        "1e999": with_number(sample, b"1e999"),
        "huge-epoch": with_number(sample, b"99999999999999999"),
        "json-wrong-types": b'[1, "a", null, [], {"gestion": 5, "typeavis": []}, true]',
        "json-object-of-wrong-types": b'{"results": 5, "notices": "x", "marches": {"marche": 3}}',
        "json-deep": b"[" * 100_000 + b"]" * 100_000,
        "json-deep-objects": b'{"a":' * 5000 + b"1" + b"}" * 5000,
        "xml-deep": b"<a>" * 100_000 + b"</a>" * 100_000,
        "xml-billion-laughs": BILLION_LAUGHS,
        "xml-external-entity": EXTERNAL_ENTITY,
        "control-chars": sample.replace(b" ", b"\x00\x1b", 20),
        "invalid-utf8": sample[:200] + b"\xff\xfe\xc3\x28\xed\xa0\x80" + sample[200:],
        "utf16-without-bom-cut": sample.decode("utf-8", "replace").encode("utf-16-le")[:-1],
    }
