"""TED search API v3 responses (`POST /v3/notices/search`): `{"notices": [...], ...}`.

Each notice is a flat map of the fields asked for: texts are maps keyed by 3-letter language
(`{"fra": "…"}`, names as lists), per-lot facts are lists with one entry per lot (deadlines as
separate date and time strings with offsets), CPV lists repeat codes. Fields not returned are
simply absent. The search result lacks the reserved-contract terms (BT-71/BT-736): the live
spider fetches the full eForms XML (`ted_xml_url`) for notices worth it.

Encoding: JSON is UTF-8 by definition (RFC 8259); a payload that is not valid UTF-8 is reported
as one Problem rather than guessed at.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Buyer, Lot, Money, Notice, NoticeKind
from veilleuse.core.normalise import (
    clean_text,
    cpv_codes,
    department_from_postcode,
    parse_date,
    parse_deadline,
    parse_money,
    unique,
)
from veilleuse.spiders.parsers import ted_eforms_fields as f
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records, load_json

_NUTS3 = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")
#: (date field, time field) per lot, in order of preference: tenders, requests, answers
_DEADLINES = (
    ("deadline-receipt-tender-date-lot", "deadline-receipt-tender-time-lot"),
    ("deadline-receipt-request-date-lot", "deadline-receipt-request-time-lot"),
    ("deadline-receipt-answers-date-lot", "deadline-receipt-answers-time-lot"),
)
_FORM_TYPES = {
    "competition": NoticeKind.TENDER,
    "result": NoticeKind.AWARD,
    "planning": NoticeKind.PIN,
    "dir-awa-pre": NoticeKind.AWARD,
    "cont-modif": NoticeKind.AWARD,
}


def ted_xml_url(notice: dict[str, Any]) -> str | None:
    """The eForms XML of a search result (`links.xml.MUL`), for fetching the full notice."""
    xml = (notice.get("links") or {}).get("xml") or {}
    if not isinstance(xml, dict):
        return None
    url = xml.get("MUL") or next(iter(xml.values()), None)
    return str(url) if url else None


class ApiParser:
    name = "ted"

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:4096].lstrip()
        return (
            head[:1] in (b"{", b"[")
            and b'"notices"' in head
            and (b'"publication-number"' in head or b'"ND"' in head)
        )

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        loaded = load_json(data, origin, utf8_only=True)
        if loaded.failed:
            return ParseResult(problems=loaded.problems)
        payload = loaded.value
        notices = payload.get("notices") if isinstance(payload, dict) else payload
        if not isinstance(notices, list):
            return ParseResult(problems=[Problem(origin, 'no "notices" list in the response')])
        uid_source = source or self.name
        records = [(_record_id(n), n) for n in notices]
        result = collect_records(records, lambda n: build_notice(n, uid_source, origin), origin)
        result.problems[:0] = loaded.problems
        return result


def _record_id(notice: object) -> str | None:
    if isinstance(notice, dict):
        value = notice.get("publication-number") or notice.get("ND")
        return str(value) if value else None
    return None


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _texts(value: object, preferred: list[str]) -> tuple[str | None, str | None]:
    """(text, language) from a language map, in the first preferred language present."""
    if isinstance(value, str):
        return clean_text(value), None
    if not isinstance(value, dict) or not value:
        return None, None
    for lang in [*preferred, *value]:
        items = [clean_text(v) for v in _as_list(value.get(lang))]
        text = next((t for t in items if t), None)
        if text:
            return text, lang
    return None, None


def build_notice(notice: object, source: str, origin: str = "") -> Notice:
    """One search-API notice → Notice (raises ParseError without number or title)."""
    if not isinstance(notice, dict):
        raise ParseError(origin, f"notice is a {type(notice).__name__}, not an object")
    pub_number = f.publication_number(notice.get("publication-number") or notice.get("ND"))
    if not pub_number:
        raise ParseError(origin, "notice without publication-number")
    buyer_names = notice.get("organisation-name-buyer") or notice.get("buyer-name")
    own_lang = next((k for k in (buyer_names or {}) if k != "mul"), None)
    preferred = unique(["fra", own_lang or "", "eng"])
    title, title_lang = _texts(notice.get("TI") or notice.get("notice-title"), preferred)
    if not title:
        raise ParseError(origin, "notice without title (TI)", pub_number)
    lots = _lots(notice, preferred)
    deadline = f.earliest([lot.deadline for lot in lots]) or _earliest_any(notice)
    nuts = [c for c in _place_codes(notice) if _NUTS3.match(c)]
    links_html = (notice.get("links") or {}).get("html") or {}
    return Notice(
        uid=f"{source}:{pub_number}",
        source=source,
        native_id=pub_number,
        kind=_kind(notice),
        title=title,
        description=_texts(
            notice.get("description-proc") or notice.get("description-glo"), preferred
        )[0],
        url=links_html.get("FRA") or f.notice_url(pub_number),
        language=f.language_code(title_lang),
        buyer=_buyer(notice, preferred),
        published=parse_date(notice.get("PD") or notice.get("publication-date")),
        deadline=deadline,
        cpv=cpv_codes(
            _as_list(notice.get("main-classification-lot"))
            + _as_list(notice.get("main-classification-proc"))
            + _as_list(notice.get("classification-cpv"))
        ),
        places=f.places_from(unique(nuts), []),
        estimated_value=_value(notice),
        lots=lots,
        identifiers=unique([pub_number, f.notice_url(pub_number) or ""]),
        raw=notice,
    )


def _code(value: object) -> str:
    """The first code of a search-API code field, whatever its shape: "cn-standard",
    ["cn-standard"], {"eng": ["cn-standard"]} (a language map) or {"value": "cn-standard"}."""
    if isinstance(value, dict):
        inner = value.get("value", next(iter(value.values()), None)) if value else None
        return _code(inner)
    if isinstance(value, list):
        return next((code for code in map(_code, value) if code), "")
    return str(value).strip().lower() if value not in (None, "") else ""


def _kind(notice: dict[str, Any]) -> NoticeKind:
    """notice-type (BT-02) when given, else form-type (BT-03), else tender when a deadline is
    given, else other. Both fields are asked for by the live spider (`sources.ted.FIELDS`)."""
    notice_type = _code(notice.get("notice-type"))
    if notice_type:
        return f.notice_kind(notice_type, "")
    form_type = _code(notice.get("form-type"))
    if form_type in _FORM_TYPES:
        return _FORM_TYPES[form_type]
    has_deadline = any(notice.get(day) for day, _ in _DEADLINES)
    return NoticeKind.TENDER if has_deadline else NoticeKind.OTHER


def _buyer(notice: dict[str, Any], preferred: list[str]) -> Buyer:
    name = _texts(notice.get("organisation-name-buyer") or notice.get("buyer-name"), preferred)[0]
    city = _texts(notice.get("buyer-city"), ["mul", *preferred])[0]
    postcode = next(
        (str(p) for p in _as_list(notice.get("buyer-post-code")) if p), None
    )  # asked for by the live spider when available
    countries = [str(c).upper() for c in _as_list(notice.get("buyer-country"))]
    department = department_from_postcode(postcode) if "FRA" in countries else None
    return Buyer(name=name, city=city, postcode=postcode, department=department)


def _place_codes(notice: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    for key in ("place-of-performance", "place-of-performance-subdiv-lot"):
        codes += [str(c).strip().upper() for c in _as_list(notice.get(key)) if c]
    return codes


def _value(notice: dict[str, Any]) -> Money | None:
    """total-value (0 means not given), else estimated-value-glo, with their currency lists."""
    for amount_key, currency_key in (
        ("total-value", "total-value-cur"),
        ("estimated-value-glo", "estimated-value-cur-glo"),
    ):
        amounts = _as_list(notice.get(amount_key))
        amount = parse_money(amounts[0]) if amounts else None
        if amount:
            currencies = _as_list(notice.get(currency_key))
            return Money(amount=amount, currency=str(currencies[0]) if currencies else "EUR")
    return None


def _deadlines(notice: dict[str, Any], day_key: str, time_key: str) -> list[date | datetime | None]:
    days, times = _as_list(notice.get(day_key)), _as_list(notice.get(time_key))
    return [parse_deadline(day, times[i] if i < len(times) else None) for i, day in enumerate(days)]


def _earliest_any(notice: dict[str, Any]) -> date | datetime | None:
    for day_key, time_key in _DEADLINES:
        found = f.earliest(_deadlines(notice, day_key, time_key))
        if found is not None:
            return found
    return None


def _per_lot(values: list[Any], count: int) -> list[Any]:
    """A per-lot list aligned on `count` lots: as is, one value for all, or unknown (None)."""
    if len(values) == count:
        return values
    return values * count if len(values) == 1 else [None] * count


def _lots(notice: dict[str, Any], preferred: list[str]) -> list[Lot]:
    """One Lot per entry of the per-lot lists (the search API repeats values once per lot)."""
    ids = [str(i) for i in _as_list(notice.get("identifier-lot"))]
    main_cpv = _as_list(notice.get("main-classification-lot"))
    count = max(len(ids), len(main_cpv), 1)
    deadlines: list[date | datetime | None] = [None] * count
    for day_key, time_key in _DEADLINES:  # tenders first; requests/answers fill the gaps
        found = _per_lot(_deadlines(notice, day_key, time_key), count)
        deadlines = [known or other for known, other in zip(deadlines, found, strict=True)]
    titles = notice.get("title-lot")
    lang = next((p for p in preferred if isinstance(titles, dict) and p in titles), None)
    title_list = _per_lot(
        _as_list(titles[lang]) if lang and isinstance(titles, dict) else [], count
    )
    return [
        Lot(
            id=ids[i] if i < len(ids) else str(i + 1),
            title=clean_text(title_list[i]),
            cpv=cpv_codes(main_cpv[i]) if i < len(main_cpv) else [],
            deadline=deadlines[i],
        )
        for i in range(count)
    ]


PARSER = ApiParser()
