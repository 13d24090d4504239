"""TED notices in the legacy TED XML schema (TED_EXPORT, 2014 standard forms F01–F25).

TED published every notice in this schema until eForms (2023); archives and the OP's own test
material still use it. One payload is one notice. Only the original-language form is read
(`CATEGORY="ORIGINAL"`, French first when a notice has several originals). The uid is the TED
publication number (`DOC_ID` / `NO_DOC_OJS`), normalised like the eForms and API ones.
Dates in forms carry no zone: they are the buyer's local time, read in its country's zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from veilleuse.core import geo
from veilleuse.core.errors import ParseError
from veilleuse.core.models import (
    Awardee,
    Buyer,
    ContractNature,
    Evidence,
    Lot,
    Money,
    Notice,
    NoticeKind,
    NoticeStatus,
    ReservedKind,
)
from veilleuse.core.normalise import (
    PARIS,
    clean_text,
    cpv_codes,
    department_from_postcode,
    parse_date,
    parse_deadline,
    parse_money,
    siret,
    unique,
)
from veilleuse.spiders.parsers import ted_eforms_fields as f
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records

_NOT_CET = {
    "UK": "Europe/London", "GB": "Europe/London", "IE": "Europe/Dublin", "PT": "Europe/Lisbon",
    "FI": "Europe/Helsinki", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
    "BG": "Europe/Sofia", "RO": "Europe/Bucharest", "EL": "Europe/Athens", "GR": "Europe/Athens",
    "CY": "Asia/Nicosia",
}  # fmt: skip
_RESERVED_FLAGS = {
    "RESTRICTED_SHELTERED_WORKSHOP": ReservedKind.SHELTERED_WORKSHOP,
    "RESTRICTED_SHELTERED_PROGRAM": ReservedKind.SHELTERED_WORKSHOP,
    "RESERVED_ORGANISATIONS_SERVICE_MISSION": ReservedKind.PUBLIC_SERVICE_MISSION,
}
#: procedure elements → the eForms procedure codes, so every TED format says the same
_PROCEDURES = {
    "PT_OPEN": "open",
    "PT_RESTRICTED": "restricted",
    "PT_COMPETITIVE_NEGOTIATION": "neg-w-call",
    "PT_NEGOTIATED_WITH_PRIOR_CALL": "neg-w-call",
    "PT_COMPETITIVE_DIALOGUE": "comp-dial",
    "PT_INNOVATION_PARTNERSHIP": "innovation",
    "PT_AWARD_CONTRACT_WITHOUT_CALL": "neg-wo-call",
    "PT_AWARD_CONTRACT_WITHOUT_PUBLICATION": "neg-wo-call",
    "PT_NEGOTIATED_WITHOUT_PUBLICATION": "neg-wo-call",
}
_PIN_FORMS = {"F01", "F04", "F08", "F16"}
_AWARD_FORMS = {"F03", "F06", "F13", "F15", "F18", "F19", "F20", "F25"}
_OJS_NUMBER = re.compile(r"(\d{4})/S\s*\d+\s*-\s*(\d+)")


def _find(el: etree._Element | None, path: str) -> etree._Element | None:
    return None if el is None else el.find(path)


def _text(el: etree._Element | None) -> str | None:
    """All text of an element (paragraphs <P> joined by spaces, <FT> inline), cleaned."""
    if el is None:
        return None
    paragraphs = el.findall("{*}P")
    parts = ["".join(p.itertext()) for p in paragraphs] if paragraphs else ["".join(el.itertext())]
    return clean_text(" ".join(parts))


def _at(el: etree._Element | None, path: str) -> str | None:
    return _text(_find(el, path))


class LegacyParser:
    name = "ted"

    def sniff(self, data: bytes, filename: str) -> bool:
        return b"<TED_EXPORT" in data[:2048]

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            return ParseResult(problems=[Problem(origin, f"invalid XML: {exc}")])
        if etree.QName(root).localname != "TED_EXPORT":
            tag = etree.QName(root).localname
            return ParseResult(problems=[Problem(origin, f"not a TED_EXPORT notice: root <{tag}>")])
        raw = data.decode(root.getroottree().docinfo.encoding or "utf-8", errors="replace")
        uid_source = source or self.name
        return collect_records(
            [(root.get("DOC_ID"), root)], lambda r: build_notice(r, uid_source, origin, raw), origin
        )


def legacy_publication_number(root: etree._Element) -> str | None:
    """'091489-2019' (DOC_ID) or '2019/S 040-091489' (NO_DOC_OJS) → '91489-2019'."""
    number = f.publication_number(root.get("DOC_ID"))
    if number:
        return number
    ojs = _at(root, "{*}CODED_DATA_SECTION/{*}NOTICE_DATA/{*}NO_DOC_OJS")
    m = _OJS_NUMBER.search(ojs or "")
    return f.publication_number(f"{m[2]}-{m[1]}") if m else None


def _original_form(root: etree._Element) -> etree._Element | None:
    forms = list(root.iterfind("{*}FORM_SECTION/*"))
    originals = [form for form in forms if form.get("CATEGORY") == "ORIGINAL"] or forms
    french = [form for form in originals if form.get("LG") == "FR"]
    return (french or originals or [None])[0]


def build_notice(
    root: etree._Element, source: str, origin: str = "", raw: str | None = None
) -> Notice:
    """One TED_EXPORT document → Notice (raises ParseError without number, form or title)."""
    pub_number = legacy_publication_number(root)
    if not pub_number:
        raise ParseError(origin, "no publication number (DOC_ID / NO_DOC_OJS)")
    form = _original_form(root)
    if form is None or form.find("{*}OBJECT_CONTRACT") is None:
        raise ParseError(origin, "no 2014 standard form (F01–F25) in FORM_SECTION", pub_number)
    coded = root.find("{*}CODED_DATA_SECTION")
    obj = form.find("{*}OBJECT_CONTRACT")
    title = _at(obj, "{*}TITLE") or _at(
        root, "{*}TRANSLATION_SECTION/{*}ML_TITLES/{*}ML_TI_DOC[@LG='FR']/{*}TI_TEXT"
    )
    if not title:
        raise ParseError(origin, "notice without title (OBJECT_CONTRACT/TITLE)", pub_number)

    buyer_el = form.find("{*}CONTRACTING_BODY/{*}ADDRESS_CONTRACTING_BODY")
    country = _country(buyer_el) or _country_code(coded)
    tz = ZoneInfo(_NOT_CET[country]) if country in _NOT_CET else PARIS
    procedure = form.find("{*}PROCEDURE")
    deadline = _deadline(procedure, tz)
    main_cpv = cpv_codes([c.get("CODE") for c in obj.iterfind("{*}CPV_MAIN/{*}CPV_CODE")])
    reserved, kinds, evidence = _reserved(form)
    lots = [
        _lot(descr, i, main_cpv, deadline, reserved, kinds)
        for i, descr in enumerate(obj.iterfind("{*}OBJECT_DESCR"), start=1)
    ]
    if len(lots) == 1 and not lots[0].title:
        lots[0].title = title
    nuts = unique(
        [n.get("CODE") or "" for n in coded.iterfind("{*}NOTICE_DATA/{*}PERFORMANCE_NUTS")]
        if coded is not None
        else []
    )
    form_name = form.get("FORM") or etree.QName(form).localname[:3]
    places = f.places_from(nuts + [n for lot in lots for n in lot.places.nuts], [])
    description = _at(obj, "{*}SHORT_DESCR")
    conditions = _at(form, "{*}LEFTI/{*}PERFORMANCE_CONDITIONS")
    if conditions:
        description = f"{description or ''}\nConditions d'exécution : {conditions}".strip()
    ctype = _attr(obj, "{*}TYPE_CONTRACT", "CTYPE")
    return Notice(
        uid=f"{source}:{pub_number}",
        source=source,
        native_id=pub_number,
        kind=_kind(form, form_name, coded),
        title=title,
        description=description,
        url=f.notice_url(pub_number),
        language=(form.get("LG") or "").lower() or None,
        buyer=_buyer(buyer_el, country),
        published=parse_date(_at(coded, "{*}REF_OJS/{*}DATE_PUB")),
        deadline=deadline,
        cpv=unique(main_cpv + [c for lot in lots for c in lot.cpv]),
        contract_nature=ContractNature(ctype.lower()) if ctype else None,
        procedure=_procedure(procedure),
        places=places,
        estimated_value=_money(obj.find("{*}VAL_ESTIMATED_TOTAL"))
        or _money(obj.find("{*}VAL_TOTAL")),
        lots=lots,
        reserved=reserved,
        reserved_kinds=kinds,
        social_clause=None,
        evidence=evidence,
        awardees=_awardees(form),
        identifiers=unique(
            [
                pub_number,
                _at(coded, "{*}NOTICE_DATA/{*}NO_DOC_OJS") or "",
                f.notice_url(pub_number) or "",
            ]
        ),
        raw=raw if raw is not None else etree.tostring(root, encoding="unicode"),
        status=NoticeStatus.CORRECTED if form_name == "F14" else NoticeStatus.OPEN,
    )


def _attr(el: etree._Element | None, path: str, name: str) -> str | None:
    found = _find(el, path)
    return (found.get(name) or "").strip() or None if found is not None else None


def _country(address: etree._Element | None) -> str | None:
    return _attr(address, "{*}COUNTRY", "VALUE")


def _country_code(coded: etree._Element | None) -> str | None:
    return _attr(coded, "{*}NOTICE_DATA/{*}ISO_COUNTRY", "VALUE")


def _buyer(address: etree._Element | None, country: str | None) -> Buyer:
    if address is None:
        return Buyer()
    postcode = _at(address, "{*}POSTAL_CODE")
    nuts = _attr(address, "{*}NUTS", "CODE")
    department = department_from_postcode(postcode) if country == "FR" else None
    return Buyer(
        name=_at(address, "{*}OFFICIALNAME"),
        siret=siret(_at(address, "{*}NATIONALID")),
        city=_at(address, "{*}TOWN"),
        postcode=postcode,
        department=department or geo.department_from_nuts(nuts),
    )


def _deadline(procedure: etree._Element | None, tz: ZoneInfo) -> date | datetime | None:
    day = _at(procedure, "{*}DATE_RECEIPT_TENDERS")
    return parse_deadline(day, _at(procedure, "{*}TIME_RECEIPT_TENDERS"), default_tz=tz)


def _procedure(procedure: etree._Element | None) -> str | None:
    if procedure is None:
        return None
    for child in procedure:
        tag = etree.QName(child).localname
        if tag.startswith("PT_"):
            return _PROCEDURES.get(tag, tag[3:].lower().replace("_", "-"))
    return None


def _kind(form: etree._Element, form_name: str, coded: etree._Element | None) -> NoticeKind:
    """From the form (F21–F23 say it in NOTICE/@TYPE), else from TD_DOCUMENT_TYPE's label."""
    notice_type = _attr(form, "{*}NOTICE", "TYPE") or ""
    if notice_type:
        if "AWARD" in notice_type:
            return NoticeKind.AWARD
        return NoticeKind.PIN if notice_type.startswith(("PRI", "PER")) else NoticeKind.TENDER
    if form_name in _PIN_FORMS:
        return NoticeKind.PIN
    if form_name in _AWARD_FORMS:
        return NoticeKind.AWARD
    if form_name == "F14":
        return NoticeKind.OTHER
    label = (_at(coded, "{*}CODIF_DATA/{*}TD_DOCUMENT_TYPE") or "").lower()
    if "award" in label or "transparency" in label:
        return NoticeKind.AWARD
    if "prior information" in label or "periodic" in label:
        return NoticeKind.PIN
    return NoticeKind.TENDER if "notice" in label or "contest" in label else NoticeKind.OTHER


def _reserved(form: etree._Element) -> tuple[bool | None, list[ReservedKind], Evidence]:
    """LEFTI flags; a form with a LEFTI section and no flag is not reserved."""
    lefti = form.find("{*}LEFTI")
    evidence = Evidence()
    if lefti is None:
        return None, [], evidence
    kinds: list[ReservedKind] = []
    for flag, kind in _RESERVED_FLAGS.items():
        if lefti.find(f"{{*}}{flag}") is not None:
            kinds.append(kind)
            evidence.reserved.append(f"LEFTI/{flag}")
    return bool(kinds), list(dict.fromkeys(kinds)), evidence


def _money(el: etree._Element | None) -> Money | None:
    if el is None:
        return None
    amount = parse_money(el.text)
    return (
        Money(amount=amount, currency=el.get("CURRENCY") or "EUR") if amount is not None else None
    )


def _lot(
    descr: etree._Element,
    index: int,
    main_cpv: list[str],
    deadline: date | datetime | None,
    reserved: bool | None,
    kinds: list[ReservedKind],
) -> Lot:
    cpv = cpv_codes([c.get("CODE") for c in descr.iterfind("{*}CPV_ADDITIONAL/{*}CPV_CODE")])
    nuts = [n.get("CODE") or "" for n in descr.iterfind("{*}NUTS")]
    return Lot(
        id=_at(descr, "{*}LOT_NO") or str(index),
        title=_at(descr, "{*}TITLE"),
        description=_at(descr, "{*}SHORT_DESCR"),
        cpv=cpv or main_cpv,
        deadline=deadline,
        estimated_value=_money(descr.find("{*}VAL_OBJECT")),
        reserved=reserved,
        reserved_kinds=kinds,
        places=f.places_from(unique(nuts), []),
    )


def _awardees(form: etree._Element) -> list[Awardee]:
    found: dict[tuple[str | None, str | None], Awardee] = {}
    path = (
        "{*}AWARD_CONTRACT/{*}AWARDED_CONTRACT/{*}CONTRACTORS/{*}CONTRACTOR/{*}ADDRESS_CONTRACTOR"
    )
    for address in form.iterfind(path):
        name, number = _at(address, "{*}OFFICIALNAME"), siret(_at(address, "{*}NATIONALID"))
        if name:
            found.setdefault((name, number), Awardee(name=name, siret=number))
    return list(found.values())


PARSER = LegacyParser()
