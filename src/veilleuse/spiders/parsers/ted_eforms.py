"""TED eForms notices (UBL 2.3 XML: ContractNotice, ContractAwardNotice, PriorInformationNotice).

One payload is one notice. The uid uses the TED publication number when the notice carries one
(`efac:Publication`, present once TED has published it) so it agrees with the TED search API and
legacy XML; an unpublished notice (e.g. a buyer's own copy) falls back to its BT-701 UUID.
Field readers live in `ted_eforms_fields`.
"""

from __future__ import annotations

import re

from lxml import etree

from veilleuse.core.errors import ParseError
from veilleuse.core.models import (
    ContractNature,
    Evidence,
    Lot,
    Money,
    Notice,
    NoticeStatus,
    Places,
    ReservedKind,
)
from veilleuse.core.normalise import cpv_codes, parse_date, unique
from veilleuse.spiders.parsers import ted_eforms_fields as f
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records

_ROOTS = ("ContractNotice", "ContractAwardNotice", "PriorInformationNotice")
_SNIFF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(ContractNotice|ContractAwardNotice|PriorInformationNotice)[\s>]"
)
_UBL_NS = b"urn:oasis:names:specification:ubl:schema:xsd:"
_CPV = "cbc:ItemClassificationCode"
_VALUE = "cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount"  # BT-27


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        recover=False,
        remove_comments=True,
        huge_tree=False,
    )


class EformsParser:
    name = "ted"

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:4096]
        return _UBL_NS in head and _SNIFF.search(head) is not None

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        try:
            root = etree.fromstring(data, _xml_parser())
        except etree.XMLSyntaxError as exc:
            return ParseResult(problems=[Problem(origin, f"invalid XML: {exc}")])
        tag = etree.QName(root).localname
        if tag not in _ROOTS:
            return ParseResult(problems=[Problem(origin, f"not an eForms notice: root <{tag}>")])
        record_id = f.first(root, "cbc:ID")
        uid_source = source or self.name
        raw = data.decode(root.getroottree().docinfo.encoding or "utf-8", errors="replace")
        return collect_records(
            [(record_id, root)], lambda r: build_notice(r, uid_source, origin, raw), origin
        )


def build_notice(
    root: etree._Element, source: str, origin: str = "", raw: str | None = None
) -> Notice:
    """One eForms notice → Notice (raises ParseError when it has no id or no title).

    `raw` is the notice text as published (comments included); by default the element is
    serialised again."""
    notice_id = f.first(root, "cbc:ID")
    publication = root.find(f"{f.EXT}/efac:Publication", f.NS)
    pub_number = f.publication_number(f.first(publication, "efbc:NoticePublicationID"))
    native_id = pub_number or notice_id
    if not native_id:
        raise ParseError(origin, "notice without identifier (BT-701 cbc:ID)")
    lang3 = (f.first(root, "cbc:NoticeLanguageCode") or "").upper()
    preferred = unique([lang3, "FRA", "ENG"])
    project = root.find("cac:ProcurementProject", f.NS)
    built = [_lot(lot, preferred) for lot in _lot_elements(root)]
    lots = [lot for lot, _ in built]
    title = f.in_language(project, "cbc:Name", preferred) or next(
        (lot.title for lot in lots if lot.title), None
    )
    if not title:
        raise ParseError(origin, "notice without title (BT-21)", native_id)

    orgs = f.organisations(root, preferred)
    published = parse_date(f.first(publication, "efbc:PublicationDate")) or parse_date(
        f.first(root, "cbc:IssueDate")
    )

    reserved, kinds, social, evidence = _combine(built)
    return Notice(
        uid=f"{source}:{native_id}",
        source=source,
        native_id=native_id,
        kind=f.notice_kind(f.first(root, "cbc:NoticeTypeCode"), etree.QName(root).localname),
        title=title,
        description=f.in_language(project, "cbc:Description", preferred),
        url=f.notice_url(pub_number),
        language=f.language_code(lang3),
        buyer=f.buyer(root, orgs),
        published=published,
        deadline=f.earliest([lot.deadline for lot in lots]),
        cpv=unique(_cpv(project) + [c for lot in lots for c in lot.cpv]),
        contract_nature=_nature(project),
        procedure=f.first(root, "cac:TenderingProcess/cbc:ProcedureCode"),
        places=_notice_places(project, lots),
        estimated_value=_notice_value(project, lots),
        lots=lots,
        reserved=reserved,
        reserved_kinds=kinds,
        social_clause=social,
        evidence=evidence,
        awardees=f.awardees(root, orgs),
        identifiers=unique(
            [
                pub_number or "",
                notice_id or "",
                f.first(root, "cbc:ContractFolderID") or "",
                f.notice_url(pub_number) or "",
            ]
        ),
        raw=raw if raw is not None else etree.tostring(root, encoding="unicode"),
        status=_status(root),
    )


def _cpv(project: etree._Element | None) -> list[str]:
    """BT-262 main classification first, then BT-263 additional ones."""
    return cpv_codes(
        f.all_text(project, f"cac:MainCommodityClassification/{_CPV}")
        + f.all_text(project, f"cac:AdditionalCommodityClassification/{_CPV}")
    )


def _nature(project: etree._Element | None) -> ContractNature | None:
    """BT-23 main nature (works / supplies / services)."""
    known = {nature.value for nature in ContractNature}
    codes = [
        c for c in f.coded(project, "cbc:ProcurementTypeCode", "contract-nature") if c in known
    ]
    return ContractNature(codes[0]) if codes else None


def _places(project: etree._Element | None) -> tuple[list[str], list[str]]:
    """NUTS codes (BT-5071) and French postcodes (BT-5131) of the places of performance."""
    nuts: list[str] = []
    postcodes: list[str] = []
    if project is None:
        return nuts, postcodes
    for address in project.iterfind("cac:RealizedLocation/cac:Address", f.NS):
        nuts += f.all_text(address, "cbc:CountrySubentityCode")
        if f.first(address, "cac:Country/cbc:IdentificationCode") == "FRA":
            postcodes += f.all_text(address, "cbc:PostalZone")
    return nuts, postcodes


def _lot_elements(root: etree._Element) -> list[etree._Element]:
    """Lots (and PIN parts), not lot groups (`schemeName="LotsGroup"`)."""
    found = []
    for lot in root.iterfind("cac:ProcurementProjectLot", f.NS):
        lot_id = lot.find("cbc:ID", f.NS)
        if lot_id is not None and lot_id.get("schemeName", "Lot") in ("Lot", "Part"):
            found.append(lot)
    return found


def _lot(lot: etree._Element, preferred: list[str]) -> tuple[Lot, f.Signals]:
    lot_id = f.first(lot, "cbc:ID") or "1"
    project = lot.find("cac:ProcurementProject", f.NS)
    signals = f.lot_signals(lot, lot_id)
    built = Lot(
        id=lot_id,
        title=f.in_language(project, "cbc:Name", preferred),
        description=_lot_description(lot, project, preferred),
        cpv=_cpv(project),
        deadline=f.lot_deadline(lot),
        estimated_value=f.money(project, _VALUE),
        reserved=signals.reserved,
        reserved_kinds=signals.kinds or [],
        social_clause=signals.social,
        places=f.places_from(*_places(project)),
    )
    return built, signals


def _lot_description(
    lot: etree._Element, project: etree._Element | None, preferred: list[str]
) -> str | None:
    """BT-24 description, followed by the BT-70 terms of performance where social clauses live."""
    description = f.in_language(project, "cbc:Description", preferred)
    for requirement in lot.iterfind("cac:TenderingTerms/cac:ContractExecutionRequirement", f.NS):
        if f.coded(requirement, "cbc:ExecutionRequirementCode", "conditions"):
            conditions = f.in_language(requirement, "cbc:Description", preferred)
            if conditions:
                description = f"{description or ''}\nConditions d'exécution : {conditions}".strip()
    return description


def _notice_places(project: etree._Element | None, lots: list[Lot]) -> Places:
    nuts, postcodes = _places(project)
    own = f.places_from(nuts, postcodes)
    return Places(
        departments=unique(own.departments + [d for lot in lots for d in lot.places.departments]),
        nuts=unique(own.nuts + [n for lot in lots for n in lot.places.nuts]),
    )


def _notice_value(project: etree._Element | None, lots: list[Lot]) -> Money | None:
    """BT-27 of the procedure, else the sum of the lots' values when all lots give one currency."""
    value = f.money(project, _VALUE)
    if value is not None:
        return value
    values = [lot.estimated_value for lot in lots]
    if not values or any(v is None for v in values):
        return None
    currencies = {v.currency for v in values if v}
    if len(currencies) != 1:
        return None
    return Money(amount=sum(v.amount for v in values if v), currency=currencies.pop())


def _combine(
    built: list[tuple[Lot, f.Signals]],
) -> tuple[bool | None, list[ReservedKind], bool | None, Evidence]:
    """Notice-level flags: true when any lot is, false when lots say so, None when unstated."""
    evidence = Evidence()
    for _, signals in built:
        if signals.evidence:
            evidence.reserved += signals.evidence.reserved
            evidence.social_clause += signals.evidence.social_clause
    lots = [lot for lot, _ in built]
    reserved_flags = [lot.reserved for lot in lots]
    social_flags = [lot.social_clause for lot in lots]
    reserved = True if True in reserved_flags else (False if False in reserved_flags else None)
    social = True if True in social_flags else (False if False in social_flags else None)
    kinds = list(dict.fromkeys(k for lot in lots for k in lot.reserved_kinds))
    return reserved, kinds, social, evidence


def _status(root: etree._Element) -> NoticeStatus:
    """A change notice (BT-140 reason in `efac:Changes`) is a correction, or a cancellation."""
    changes = root.find(f"{f.EXT}/efac:Changes", f.NS)
    if changes is None:
        return NoticeStatus.OPEN
    reasons = f.all_text(changes, "efac:ChangeReason/cbc:ReasonCode")
    return NoticeStatus.CANCELLED if "cancel" in reasons else NoticeStatus.CORRECTED


PARSER = EformsParser()
