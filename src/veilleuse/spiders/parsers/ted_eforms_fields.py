"""Field readers for eForms UBL notices, plus TED helpers shared by the three TED parsers.

eForms declares every organisation once (`efac:Organizations`) and refers to it by id, and puts
most facts per lot; these helpers resolve those references and read one business term (BT) each,
so `ted_eforms` only assembles a Notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from veilleuse.core import geo
from veilleuse.core.models import (
    Awardee,
    Buyer,
    Evidence,
    Money,
    NoticeKind,
    Places,
    ReservedKind,
    deadline_instant,
)
from veilleuse.core.normalise import (
    clean_text,
    department_from_postcode,
    parse_deadline,
    parse_money,
    siret,
    unique,
)

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
}
EXT = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"

#: ISO 639-2/B codes used by TED → ISO 639-1
LANGUAGES = {
    "BUL": "bg", "CES": "cs", "DAN": "da", "DEU": "de", "ELL": "el", "ENG": "en", "EST": "et",
    "FIN": "fi", "FRA": "fr", "GLE": "ga", "HRV": "hr", "HUN": "hu", "ITA": "it", "LAV": "lv",
    "LIT": "lt", "MLT": "mt", "NLD": "nl", "POL": "pl", "POR": "pt", "RON": "ro", "SLK": "sk",
    "SLV": "sl", "SPA": "es", "SWE": "sv",
}  # fmt: skip

TED_NOTICE_URL = "https://ted.europa.eu/en/notice/-/detail/{}"
_PUBLICATION_NUMBER = re.compile(r"^0*(\d{1,8})-(\d{4})$")


# --------------------------------------------------------------------------- TED-wide helpers


def publication_number(value: object) -> str | None:
    """TED publication number in the one form all TED formats share: '00123456-2023' → '123456-2023'."""
    if value is None:
        return None
    m = _PUBLICATION_NUMBER.match(str(value).strip())
    return f"{m[1]}-{m[2]}" if m else None


def notice_url(pub_number: str | None) -> str | None:
    return TED_NOTICE_URL.format(pub_number) if pub_number else None


def language_code(value: object) -> str | None:
    """'FRA' → 'fr'; unknown codes → None."""
    return LANGUAGES.get(str(value).strip().upper()) if value else None


def earliest(deadlines: list[date | datetime | None]) -> date | datetime | None:
    """The earliest of several lot deadlines (a bare date counts as the end of its day)."""
    known = [d for d in deadlines if d is not None]
    return min(known, key=lambda d: deadline_instant(d)) if known else None  # type: ignore[arg-type,return-value]


def places_from(nuts_codes: list[str], postcodes: list[str]) -> Places:
    """Places from NUTS codes (all kept) and French postcodes (départements only)."""
    departments = [department_from_postcode(p) for p in postcodes]
    departments += [geo.department_from_nuts(n) for n in nuts_codes]
    return Places(departments=unique([d for d in departments if d]), nuts=unique(nuts_codes))


# --------------------------------------------------------------------------- XML reading


def first(el: etree._Element | None, path: str) -> str | None:
    """Cleaned text of the first match of `path` under `el`, or None (also for a missing `el`)."""
    if el is None:
        return None
    for found in el.iterfind(path, NS):
        value = clean_text(found.text)
        if value:
            return value
    return None


def all_text(el: etree._Element | None, path: str) -> list[str]:
    if el is None:
        return []
    return unique([clean_text(f.text) or "" for f in el.iterfind(path, NS)])


def in_language(el: etree._Element | None, path: str, preferred: list[str]) -> str | None:
    """Text of a multilingual element in the first preferred language (3-letter codes) present."""
    if el is None:
        return None
    by_lang: dict[str, str] = {}
    for found in el.iterfind(path, NS):
        value = clean_text(found.text)
        if value:
            by_lang.setdefault((found.get("languageID") or "").upper(), value)
    for lang in preferred:
        if lang in by_lang:
            return by_lang[lang]
    return next(iter(by_lang.values()), None)


def coded(el: etree._Element | None, path: str, list_name: str) -> list[str]:
    """Values of code elements at `path` whose listName is `list_name`."""
    if el is None:
        return []
    return unique(
        [
            (f.text or "").strip()
            for f in el.iterfind(path, NS)
            if f.get("listName") == list_name and (f.text or "").strip()
        ]
    )


def money(el: etree._Element | None, path: str) -> Money | None:
    found = el.find(path, NS) if el is not None else None
    if found is None:
        return None
    amount = parse_money(found.text)
    if amount is None:
        return None
    return Money(amount=amount, currency=(found.get("currencyID") or "EUR").upper())


# --------------------------------------------------------------------------- organisations


@dataclass(frozen=True)
class Organisation:
    name: str | None
    company_id: str | None
    city: str | None
    postcode: str | None
    nuts: str | None
    country: str | None

    def department(self) -> str | None:
        """From the postcode for French addresses, else from the NUTS-3 code."""
        dep = department_from_postcode(self.postcode) if self.country == "FRA" else None
        return dep or geo.department_from_nuts(self.nuts)

    def as_buyer(self) -> Buyer:
        return Buyer(
            name=self.name,
            siret=siret(self.company_id),
            city=self.city,
            postcode=self.postcode,
            department=self.department(),
        )


def organisations(root: etree._Element, preferred: list[str]) -> dict[str, Organisation]:
    """ORG-xxxx → Organisation, from the notice's `efac:Organizations` block."""
    found: dict[str, Organisation] = {}
    for company in root.iterfind(f"{EXT}/efac:Organizations/efac:Organization/efac:Company", NS):
        org_id = first(company, "cac:PartyIdentification/cbc:ID")
        if not org_id:
            continue
        address = "cac:PostalAddress/"
        found[org_id] = Organisation(
            name=in_language(company, "cac:PartyName/cbc:Name", preferred),
            company_id=first(company, "cac:PartyLegalEntity/cbc:CompanyID"),
            city=first(company, address + "cbc:CityName"),
            postcode=first(company, address + "cbc:PostalZone"),
            nuts=first(company, address + "cbc:CountrySubentityCode"),
            country=first(company, address + "cac:Country/cbc:IdentificationCode"),
        )
    return found


def buyer(root: etree._Element, orgs: dict[str, Organisation]) -> Buyer:
    """The first contracting party (BT-500 name, BT-501 id, BT-513 city, BT-512 postcode)."""
    org_id = first(root, "cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID")
    org = orgs.get(org_id or "")
    return org.as_buyer() if org else Buyer()


def awardees(root: etree._Element, orgs: dict[str, Organisation]) -> list[Awardee]:
    """Winners: winning lot results → their tenders → tendering parties → tenderer organisations."""
    result = root.find(f"{EXT}/efac:NoticeResult", NS)
    if result is None:
        return []
    tender_party = {
        first(t, "cbc:ID"): first(t, "efac:TenderingParty/cbc:ID")
        for t in result.iterfind("efac:LotTender", NS)
    }
    party_orgs = {
        first(p, "cbc:ID"): all_text(p, "efac:Tenderer/cbc:ID")
        for p in result.iterfind("efac:TenderingParty", NS)
    }
    winners: list[str] = []
    for lot_result in result.iterfind("efac:LotResult", NS):
        if first(lot_result, "cbc:TenderResultCode") != "selec-w":
            continue
        for tender_id in all_text(lot_result, "efac:LotTender/cbc:ID"):
            winners += party_orgs.get(tender_party.get(tender_id), [])
    out = []
    for org_id in unique(winners):
        org = orgs.get(org_id)
        if org and org.name:
            out.append(Awardee(name=org.name, siret=siret(org.company_id)))
    return out


# --------------------------------------------------------------------------- lot facts

_DEADLINE_PERIODS = (
    ("cac:TenderingProcess/cac:TenderSubmissionDeadlinePeriod", "BT-131"),
    ("cac:TenderingProcess/cac:ParticipationRequestReceptionPeriod", "BT-1311"),
    (f"cac:TenderingProcess/{EXT}/efac:InterestExpressionReceptionPeriod", "BT-630"),
)


def lot_deadline(lot: etree._Element) -> date | datetime | None:
    """Tenders deadline (BT-131), else requests to participate (BT-1311), else expressions of
    interest (BT-630, calls for competition by PIN); eForms dates and times carry their offset."""
    for path, _bt in _DEADLINE_PERIODS:
        period = lot.find(path, NS)
        if period is not None:
            day = first(period, "cbc:EndDate")
            if day:
                return parse_deadline(day, first(period, "cbc:EndTime"))
    return None


_RESERVED_KINDS = {
    "res-ws": ReservedKind.SHELTERED_WORKSHOP,
    "res-pub-ser": ReservedKind.PUBLIC_SERVICE_MISSION,
}


@dataclass
class Signals:
    """Reserved-contract and social-clause facts of one lot, with the fields that decided them."""

    reserved: bool | None = None
    kinds: list[ReservedKind] | None = None
    social: bool | None = None
    evidence: Evidence | None = None


def lot_signals(lot: etree._Element, lot_id: str) -> Signals:
    """BT-71 reserved participation, BT-736 reserved execution, BT-06 / BT-775 social aims."""
    terms = "cac:TenderingTerms/"
    participation = coded(
        lot,
        terms + "cac:TendererQualificationRequest/cac:SpecificTendererRequirement/"
        "cbc:TendererRequirementTypeCode",
        "reserved-procurement",
    )
    execution = coded(
        lot,
        terms + "cac:ContractExecutionRequirement/cbc:ExecutionRequirementCode",
        "reserved-execution",
    )
    additional = "cac:ProcurementProject/cac:ProcurementAdditionalType/cbc:ProcurementTypeCode"
    strategic = coded(lot, additional, "strategic-procurement")
    social_objectives = coded(lot, additional, "social-objective")

    evidence = Evidence()
    kinds: list[ReservedKind] = []
    for code in participation:
        if code in _RESERVED_KINDS:
            kinds.append(_RESERVED_KINDS[code])
            evidence.reserved.append(f"BT-71 {code} ({lot_id})")
    if "yes" in execution:
        kinds.append(ReservedKind.SHELTERED_WORKSHOP)
        evidence.reserved.append(f"BT-736 reserved-execution yes ({lot_id})")
    reserved = True if kinds else (False if "none" in participation else None)

    if "soc-obj" in strategic:
        evidence.social_clause.append(f"BT-06 soc-obj ({lot_id})")
    evidence.social_clause += [f"BT-775 {code} ({lot_id})" for code in social_objectives]
    social = True if evidence.social_clause else (False if strategic else None)
    return Signals(reserved, list(dict.fromkeys(kinds)), social, evidence)


def notice_kind(type_code: str | None, root_tag: str) -> NoticeKind:
    """BT-02 notice type ('cn-standard', 'can-social', 'pin-only', 'veat'…) → kind."""
    code = (type_code or "").lower()
    if code.startswith("cn-") or code in ("qu-sy", "subco"):
        return NoticeKind.TENDER
    if code.startswith("can-") or code == "veat":
        return NoticeKind.AWARD
    if code.startswith("pin-") or code == "pmc":
        return NoticeKind.PIN
    if code:
        return NoticeKind.OTHER
    return {
        "ContractNotice": NoticeKind.TENDER,
        "ContractAwardNotice": NoticeKind.AWARD,
        "PriorInformationNotice": NoticeKind.PIN,
    }.get(root_tag, NoticeKind.OTHER)
