"""Hypothesis strategies that mutate real samples the way broken sources and attackers do:
byte flips, truncation, insertion of huge numbers, control characters and invalid UTF-8, and
structural XML/JSON damage (deep nesting, entity declarations, cut or duplicated elements)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from hostile_payloads import BILLION_LAUGHS, EXTERNAL_ENTITY
from hypothesis import strategies as st

#: parser module → cases run in this session (the fuzz conftest writes it to $VEILLEUSE_FUZZ_LOG)
CASES: Counter[str] = Counter()

INSERTS = (
    b"9" * 5000,
    b"-" + b"9" * 4400,
    b"1e999",
    b"-1e999",
    b"99999999999999999999",
    b"NaN",
    b"\x00",
    b"\x01\x02\x1b[31m\x7f",
    b"\r\n\r\n",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\xf4\x90\x80\x80",
    b'"',
    b"\\",
    b"{",
    b"[",
    b"]}",
    b"<",
    b"]]>",
    b"&lol9;",
    b"&#0;",
    b"&#x110000;",
    b"<![CDATA[",
    b"<!-- ",
    b"javascript:alert(1)",
    b"data:text/html,<script>",
    b"null",
    b"[]",
    b"{}",
    b'"x"',
    b"true",
)
_TAG = re.compile(rb"<[A-Za-z][^<>]{0,80}>")


def _flip(data: bytes, at: float, value: int) -> bytes:
    i = int(at * len(data))
    return data[:i] + bytes([value]) + data[i + 1 :] if data else data


def _truncate(data: bytes, at: float) -> bytes:
    return data[: int(at * len(data))]


def _insert(data: bytes, at: float, chunk: bytes) -> bytes:
    i = int(at * len(data))
    return data[:i] + chunk + data[i:]


def _cut_slice(data: bytes, at: float, size: float) -> bytes:
    i = int(at * len(data))
    return data[:i] + data[i + int(size * len(data) * 0.2) :]


def _duplicate(data: bytes, at: float, size: float) -> bytes:
    i = int(at * len(data))
    j = i + int(size * len(data) * 0.2)
    return data[:j] + data[i:j] + data[j:]


def _deep(data: bytes, at: float, depth: int) -> bytes:
    i = int(at * len(data))
    xml = data.lstrip()[:1] == b"<"
    opening, closing = (b"<d>", b"</d>") if xml else (b"[", b"]")
    return data[:i] + opening * depth + closing * depth + data[i:]


def _doctype(data: bytes, which: int) -> bytes:
    """An entity declaration (billion laughs, external file) put before the root element."""
    decl = (BILLION_LAUGHS, EXTERNAL_ENTITY)[which].split(b"<lolz>")[0].split(b"<r>")[0]
    decl = decl.split(b"?>", 1)[1]
    end = data.find(b"?>") + 2 if data.lstrip().startswith(b"<?xml") else 0
    return data[:end] + decl + data[end:]


def _drop_tag(data: bytes, at: float) -> bytes:
    tags = list(_TAG.finditer(data))
    if not tags:
        return data
    tag = tags[int(at * len(tags)) % len(tags)]
    return data[: tag.start()] + data[tag.end() :]


def _reencode(data: bytes, which: int) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(("utf-16", "utf-16-be", "utf-32", "latin-1")[which], errors="replace")


fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
MUTATIONS: st.SearchStrategy[Callable[[bytes], bytes]] = st.one_of(
    st.builds(lambda at, v: lambda d: _flip(d, at, v), fraction, st.integers(0, 255)),
    st.builds(lambda at: lambda d: _truncate(d, at), fraction),
    st.builds(lambda at, c: lambda d: _insert(d, at, c), fraction, st.sampled_from(INSERTS)),
    st.builds(lambda at, c: lambda d: _insert(d, at, c), fraction, st.binary(max_size=12)),
    st.builds(lambda at, s: lambda d: _cut_slice(d, at, s), fraction, fraction),
    st.builds(lambda at, s: lambda d: _duplicate(d, at, s), fraction, fraction),
    st.builds(lambda at, n: lambda d: _deep(d, at, n), fraction, st.integers(50, 20_000)),
    st.builds(lambda w: lambda d: _doctype(d, w), st.integers(0, 1)),
    st.builds(lambda at: lambda d: _drop_tag(d, at), fraction),
    st.builds(lambda w: lambda d: _reencode(d, w), st.integers(0, 3)),
)


def mutated(samples: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """A real sample with one to four mutations applied in turn."""

    def apply(sample: bytes, steps: list[Callable[[bytes], bytes]]) -> bytes:
        for step in steps:
            sample = step(sample)
        return sample

    return st.builds(apply, st.sampled_from(samples), st.lists(MUTATIONS, min_size=1, max_size=4))
