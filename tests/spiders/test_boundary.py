"""The parser boundary: every registered parser, fed hostile payloads, returns notices and
Problems naming the file, never an exception (a new parser is covered by being registered)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hostile_payloads import first_sample, hostile_cases, samples_by_parser, with_number

from veilleuse.core.models import Notice, NoticeKind
from veilleuse.spiders.parsers import PARSER_MODULES, parse_path, parse_payload, parsers
from veilleuse.spiders.parsers.base import ParseResult, collect_records
from veilleuse.spiders.parsers.boundary import GuardedParser, drop_bad_urls, web_url

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_every_registered_parser_has_a_real_sample() -> None:
    assert sorted(parsers()) == sorted(PARSER_MODULES)
    assert all(samples_by_parser()[m] for m in PARSER_MODULES)
    assert all(isinstance(p, GuardedParser) for p in parsers().values())


@pytest.mark.parametrize("module", PARSER_MODULES)
def test_hostile_payloads_become_problems_naming_the_file(module: str) -> None:
    for case, data in hostile_cases(module).items():
        origin = f"hostile/{module}/{case}"
        for fmt in (module, None):
            result = parse_payload(data, origin, fmt=fmt)
            assert isinstance(result, ParseResult), case
            assert all(isinstance(n, Notice) for n in result.notices), case
            for notice in result.notices:
                notice.model_dump_json()  # whatever comes out can be staged
            assert all(p.origin == origin for p in result.problems), (case, result.problems)
            if not result.notices:
                assert result.problems, (module, case, fmt)


def test_a_5000_digit_integer_costs_a_field_not_the_file() -> None:
    """Was: `ValueError: Exceeds the limit (4300 digits)` out of `veilleuse parse`."""
    sample = first_sample("idf_aides")
    clean = parse_payload(sample, "idf.json")
    result = parse_payload(with_number(sample, b"9" * 5000), "idf.json")
    assert len(result.notices) == len(clean.notices) > 0
    assert any("5000-digit integer" in p.reason for p in result.problems)


def test_1e999_in_a_dila_boamp_json_costs_a_field_not_the_file() -> None:
    """Was: `OverflowError: timestamp out of range` out of `veilleuse parse`."""
    sample = first_sample("boamp_dila_json")
    poisoned = sample.replace(b'"datepublication": 1607900400000', b'"datepublication": 1e999')
    assert poisoned != sample
    result = parse_payload(poisoned, "dila.json")
    assert [n.uid for n in result.notices] == [n.uid for n in parse_payload(sample, "x").notices]
    assert result.notices[0].published is None
    assert [p.reason for p in result.problems] == [
        "1 number out of range read as empty: 1e999 (out of range)"
    ]


class Exploding:
    """A parser with a bug: raises on the whole file, or on one record of three."""

    name = "exploding"

    def sniff(self, data: bytes, filename: str) -> bool:
        raise OverflowError("sniffing went wrong")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        if data == b"whole":
            raise RecursionError("maximum recursion depth exceeded")
        return collect_records([("a", 1), ("b", 2), ("c", 3)], _build, origin)


def _build(value: int) -> Notice:
    if value == 2:
        raise OverflowError("timestamp out of range for platform time_t")
    return Notice(uid=f"x:{value}", source="x", native_id=str(value), kind="other", title="t")


def test_guarded_parser_turns_any_exception_into_a_problem() -> None:
    parser = GuardedParser(Exploding())
    assert parser.sniff(b"", "f") is False
    (problem,) = parser.parse(b"whole", "f.json").problems
    assert problem.origin == "f.json" and problem.record is None
    assert problem.reason == (
        "exploding parser failed on the whole file: "
        "RecursionError: maximum recursion depth exceeded"
    )
    result = parser.parse(b"records", "f.json")
    assert [n.native_id for n in result.notices] == ["1", "3"]
    (problem,) = result.problems
    assert (problem.origin, problem.record) == ("f.json", "b")
    assert problem.reason == "OverflowError: timestamp out of range for platform time_t"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
@pytest.mark.parametrize("module", ["boamp_xml", "ted_eforms", "idf_aides", "decp", "rss"])
def test_utf16_and_utf32_payloads_parse_like_utf8(module: str, encoding: str) -> None:
    """Was: "format not recognised by any parser" for valid UTF-16 XML/JSON."""
    sample = first_sample(module)
    text = sample.decode("utf-8-sig")
    if text.startswith("<?xml"):
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
        text = text.replace("encoding='UTF-8'", f"encoding='{encoding.upper()}'", 1)
    expected = parse_payload(sample, "f")
    result = parse_payload(text.encode(encoding), "f")
    assert [n.model_dump(exclude={"raw", "content_hash"}) for n in result.notices] == [
        n.model_dump(exclude={"raw", "content_hash"}) for n in expected.notices
    ]
    assert len(result.problems) == len(expected.problems)


def test_an_unknown_or_impossible_encoding_is_a_problem_naming_it() -> None:
    xml = b'<?xml version="1.0" encoding="KLINGON-8"?><ANNONCE/>'
    (problem,) = parse_payload(xml, "k.xml").problems
    assert problem.reason == "unknown encoding 'KLINGON-8' declared by the XML"
    xml = b'<?xml version="1.0" encoding="UTF-16"?><ANNONCE/>'
    (problem,) = parse_payload(xml, "u.xml").problems
    assert problem.reason == "declared encoding 'UTF-16' but no UTF-16 bytes"
    cut = codecs.BOM_UTF16_LE + "{}".encode("utf-16-le")[:-1]
    (problem,) = parse_payload(cut, "c.json").problems
    assert problem.reason.startswith("invalid UTF-16-LE text at byte")


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.example.fr/aap?id=3", True),
        ("HTTP://example.fr", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("/relative/path", False),
        ("www.example.fr/sans-schema", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_only_http_urls_are_kept(url: str, kept: bool) -> None:
    assert web_url(url) is kept
    notice = Notice(
        uid="rss:1",
        source="rss",
        native_id="1",
        kind=NoticeKind.OTHER,
        title="t",
        url=url,
        identifiers=[url, "AAP-1"],
    )
    finished, problems = drop_bad_urls(notice, "feed.xml")
    assert (finished.url == url) is kept
    if not kept:
        assert finished.identifiers == ["AAP-1"]
        (problem,) = problems
        assert (problem.origin, problem.record) == ("feed.xml", "1")
        assert problem.reason.startswith("link dropped, not an http(s) URL: ")


@pytest.mark.parametrize("module", ["ted_api", "boamp_ods"])
def test_a_javascript_link_is_dropped_and_the_notice_kept(module: str) -> None:
    """Was: a `javascript:` URL kept in the stored notice (TED API and BOAMP ODS samples)."""
    sample = first_sample(module)
    clean = parse_payload(sample, "f.json")
    link = next(n.url for n in clean.notices if n.url and n.url.encode() in sample)
    poisoned = sample.replace(link.encode(), b"javascript:alert(1)", 1)
    result = parse_payload(poisoned, "f.json")
    assert [n.uid for n in result.notices] == [n.uid for n in clean.notices]
    assert all(n.url is None or n.url.startswith("http") for n in result.notices)
    dropped = [p for p in result.problems if p.reason.startswith("link dropped")]
    assert [p.reason for p in dropped] == [
        "link dropped, not an http(s) URL: 'javascript:alert(1)'"
    ]


def test_an_oversized_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"1," * 600_000 + b"1]")
    (problem,) = parse_path(path, max_bytes=1_000_000).problems
    assert problem.origin == str(path)
    assert problem.reason == (
        "payload larger than the maximum size of 1 MB, not read (setting sources.max_payload_mb)"
    )
    assert parse_path(path, max_bytes=2_000_000).problems[0].reason.startswith("format not")


def test_an_unknown_format_name_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"{}")
    (problem,) = parse_path(path, fmt="nope").problems
    assert problem.reason.startswith("unknown format; known formats:")
