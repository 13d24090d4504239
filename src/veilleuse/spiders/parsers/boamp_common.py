"""The BOAMP content model (schema v230 `GESTION`/`DONNEES`), read once for its three carriers.

The DILA XML files, the old DILA JSON API and the `donnees` string of OpenDataSoft records hold
the same tree with different spellings (`MARCHE_RESERVE_OUI`, `marchereserveoui`, …), so each
carrier is first turned into one neutral tree: dicts keyed by the tag name lower-cased without
`_`/`-`, a present empty element as "", an absent one as a missing key, a leaf with attributes as
{"value": text, "<attr>": …}. `notice_fields` then reads that tree field by field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from veilleuse.core.errors import ParseError
from veilleuse.core.geo import department_from_nuts
from veilleuse.core.models import (
    Awardee,
    Buyer,
    ContractNature,
    Evidence,
    Lot,
    Money,
    NoticeKind,
    NoticeStatus,
    Places,
    ReservedKind,
)
from veilleuse.core.normalise import (
    PARIS,
    clean_text,
    cpv_codes,
    department_from_postcode,
    normalise_department,
    parse_date,
    parse_deadline,
    parse_money,
    siret,
    unique,
)
from veilleuse.core.reserved import detect
from veilleuse.spiders.parsers.boamp_tree import (
    choice,
    every,
    find,
    get,
    norm_key,
    text,
)

SOURCE = "boamp"
#: element names as published, for evidence lines (the neutral tree drops the underscores)
LABELS = {
    "ateliersproteges": "ATELIERS_PROTEGES",
    "emploisproteges": "EMPLOIS_PROTEGES",
    "conditionparticuliereexecution": "CONDITION_PARTICULIERE_EXECUTION",
    "critere": "CRITERE",
    "critereslibre": "CRITERES_LIBRE",
}
TITLE_MAX = 250

# --------------------------------------------------------------------------- values


def to_date(value: Any) -> date | None:
    """ISO text or, in the DILA JSON, epoch milliseconds (a Paris calendar day)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, PARIS).date()
    return parse_date(text(value))


def to_deadline(value: Any) -> date | datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, PARIS)
    return parse_deadline(text(value))


def money(node: Any) -> Money | None:
    amount = parse_money(text(node))
    if amount is None:
        return None
    currency = node.get("devise") if isinstance(node, dict) else None
    return Money(amount=amount, currency=str(currency or "EUR").upper())


def ted_reference(node: Any) -> str | None:
    """A `PUBLICATION_JOUE` (year + notice number) as a TED publication number 'NNNNNN-YYYY'."""
    number, year = text(get(node, "numannonce")), text(get(node, "annee"))
    if not number or not year or not number.strip().isdigit():
        return None
    return f"{int(number):06d}-{year.strip()}"


# --------------------------------------------------------------------------- mappings

_KINDS = {
    "appeloffre": NoticeKind.TENDER,
    "rectificatif": NoticeKind.TENDER,  # corrections mostly amend calls; status says corrected
    "annulation": NoticeKind.TENDER,
    "attribution": NoticeKind.AWARD,
    "intentionconclure": NoticeKind.AWARD,
    "preinformation": NoticeKind.PIN,
    "periodique": NoticeKind.PIN,
}
_STATUSES = {
    "rectificatif": NoticeStatus.CORRECTED,
    "modification": NoticeStatus.CORRECTED,
    "annulation": NoticeStatus.CANCELLED,
}
_NATURES = {
    "travaux": ContractNature.WORKS,
    "fournitures": ContractNature.SUPPLIES,
    "service": ContractNature.SERVICES,
    "services": ContractNature.SERVICES,
}
PROCEDURES = {  # eForms procedure codes where one exists, so TED and BOAMP agree
    "ouvert": "open",
    "restreint": "restricted",
    "negocie": "neg-w-call",
    "dialoguecompetitif": "comp-dial",
    "partenariatinnovation": "innovation",
    "procedureadapte": "adapted",
    "concoursouvert": "design-contest",
    "concoursrestreint": "design-contest",
}


def kind_of(nature: str | None) -> NoticeKind:
    return _KINDS.get(norm_key(nature or ""), NoticeKind.OTHER)


def status_of(*markers: str | None) -> NoticeStatus:
    """Cancelled beats corrected beats open; markers are nature/statut names, an ODS `etat`
    ('AVIS_ANNULE') or statuses already decided."""
    found: set[NoticeStatus] = set()
    for marker in filter(None, markers):
        if marker in NoticeStatus.__members__.values():
            found.add(NoticeStatus(marker))
        elif "annul" in marker.lower():
            found.add(NoticeStatus.CANCELLED)
        elif status := _STATUSES.get(norm_key(marker)):
            found.add(status)
    for status in (NoticeStatus.CANCELLED, NoticeStatus.CORRECTED):
        if status in found:
            return status
    return NoticeStatus.OPEN


def procedure_code(name: str) -> str:
    key = norm_key(name)
    return PROCEDURES.get(key, key)


def contract_nature(name: str | None) -> ContractNature | None:
    return _NATURES.get(norm_key(name or ""))


# --------------------------------------------------------------------------- notice fields


def _lead_trimmed(value: str | None) -> str | None:
    """Drop the stray ': ' some buyers leave at the start of a field."""
    return value.lstrip(" :;-–") or None if value else value


def _title_description(gestion: Any, objet: Any, lots: list[Any]) -> tuple[str | None, str | None]:
    full = _lead_trimmed(clean_text(text(get(objet, "objetcomplet"))))
    summary = clean_text(text(get(gestion, "indexation", "resumeobjet")))
    if summary:  # BOAMP lower-cases this summary
        summary = summary[0].upper() + summary[1:]
    title = clean_text(text(get(objet, "titremarche")))
    if not title:
        title = full if full and len(full) <= TITLE_MAX else summary or full
    lot_text = clean_text(text(get(lots[0], "description"))) if len(lots) == 1 else None
    return title, full or lot_text or summary


def _buyer(gestion: Any, donnees: Any) -> Buyer:
    identite = get(donnees, "identite")
    postcode = clean_text(text(get(identite, "cp")))
    published_in = [
        normalise_department(text(d)) for d in every(gestion, "indexation", "deppublication")
    ]
    department = department_from_postcode(postcode) or next((d for d in published_in if d), None)
    return Buyer(
        name=clean_text(text(get(identite, "denomination"))),
        siret=siret(text(get(identite, "codeidentnational"))),
        city=clean_text(text(get(identite, "ville"))),
        postcode=postcode,
        department=department or department_from_nuts(text(get(identite, "adjudicateurnuts"))),
    )


def _places(gestion: Any, objet: Any, lots: list[Any]) -> Places:
    performed = every(gestion, "indexation", "depprestation")
    published = every(gestion, "indexation", "deppublication")
    departments = unique([normalise_department(text(d)) or "" for d in performed or published])
    nuts_nodes = [
        *every(objet, "lieuexeclivr", "codenuts"),
        *(n for lot in lots for n in every(lot, "codenuts")),
    ]
    return Places(
        departments=departments, nuts=unique([clean_text(text(n)) or "" for n in nuts_nodes])
    )


def _lot(node: Any, index: int) -> Lot:
    nuts = unique([clean_text(text(n)) or "" for n in every(node, "codenuts")])
    return Lot(
        id=clean_text(text(get(node, "num"))) or str(index),
        title=clean_text(text(get(node, "intitule"))),
        description=clean_text(text(get(node, "description"))),
        cpv=cpv_codes(
            [text(c) for c in every(node, "cpv", "principal") + every(node, "cpv", "secondaire")]
        ),
        estimated_value=money(get(node, "valeur")),
        places=Places(departments=unique([department_from_nuts(n) or "" for n in nuts]), nuts=nuts),
    )


def _estimated_value(objet: Any, lots: list[Lot], donnees: Any, kind: NoticeKind) -> Money | None:
    caracteristiques = get(objet, "caracteristiques")
    for key in ("valeurtotale", "valeur", "valeurmax"):
        value = money(get(caracteristiques, key))
        if value:
            return value
    values = [lot.estimated_value for lot in lots if lot.estimated_value]
    if values and len(values) == len(lots):
        return Money(amount=sum(v.amount for v in values), currency=values[0].currency)
    if kind == NoticeKind.AWARD:  # the awarded total is the best figure an award notice gives
        return money(get(donnees, "attribution", "valeurtotale"))
    return None


def _reserved(gestion: Any, donnees: Any) -> dict[str, Any]:
    """MARCHE_RESERVE_OUI/NON (with ATELIERS_PROTEGES / EMPLOIS_PROTEGES) and social criteria.

    PRESTATION_RESERVEE_OUI reserves the service to a profession (architects, lawyers): it is
    not a reserved contract in the L2113-12/13/15 sense, so it is kept as evidence only.
    """
    reserved: bool | None = None
    kinds: list[ReservedKind] = []
    evidence = Evidence()
    social: bool | None = None
    for node in find(donnees, "marchereserveoui"):
        reserved = True
        label = "MARCHE_RESERVE_OUI"
        for child in choice(node):
            kinds.append(ReservedKind.SHELTERED_WORKSHOP)  # ateliers / emplois protégés
            label += f"/{LABELS.get(child, child.upper())}"
        note = clean_text(text(node))
        if note:
            kinds += detect(note).kinds
            label += f": {note[:200]}"
        evidence.reserved.append(label)
    if reserved is None and find(donnees, "marchereservenon"):
        reserved = False
        evidence.reserved.append("MARCHE_RESERVE_NON")
    for node in find(donnees, "prestationreserveeoui"):
        note = clean_text(text(node))
        evidence.reserved.append(
            "PRESTATION_RESERVEE_OUI" + (f": {note}" if note else "") + " (profession réglementée)"
        )
    for node in find([gestion, donnees], "criteressociauxenv"):  # GESTION/INDEXATION
        if "sociaux" in choice(node):
            social = True
            evidence.social_clause.append("CRITERES_SOCIAUX_ENV/SOCIAUX")
    for key in ("conditionparticuliereexecution", "critere", "critereslibre"):
        for node in find(donnees, key):
            signals = detect(clean_text(text(node)))
            if signals.social:
                social = True
                evidence.social_clause += [f"{LABELS[key]}: {s}" for s in signals.social_evidence]
    return {
        "reserved": reserved,
        "reserved_kinds": list(dict.fromkeys(kinds)),
        "social_clause": social,
        "evidence": Evidence(
            reserved=unique(evidence.reserved), social_clause=unique(evidence.social_clause)
        ),
    }


def _awardees(donnees: Any) -> list[Awardee]:
    seen: dict[tuple[str | None, str | None], Awardee] = {}
    for node in every(donnees, "attribution", "decision", "titulaire"):
        awardee = Awardee(
            name=clean_text(text(get(node, "denomination"))),
            siret=siret(text(get(node, "codeidentnational"))),
        )
        if awardee.name or awardee.siret:
            seen.setdefault((awardee.name, awardee.siret), awardee)
    return list(seen.values())


def _identifiers(idweb: str | None, gestion: Any, donnees: Any) -> list[str]:
    """IDWEB, the earlier notices' IDWEB and any TED publication number (cross-source links)."""
    previous = every(gestion, "marche", "annonceanterieur")
    earlier = [text(get(p, "reference", "idweb")) for p in previous]
    joue = every(previous, "referencepublication", "publicationjoue") + every(
        donnees, "publicationanterieure", "referencepublication", "publicationjoue"
    )
    return unique(
        [idweb or "", *(e or "" for e in earlier), *(ted_reference(j) or "" for j in joue)]
    )


def notice_url(idweb: str) -> str:
    return f"https://www.boamp.fr/pages/avis/?q=idweb:{idweb}"


def notice_fields(tree: dict[str, Any]) -> dict[str, Any]:
    """Notice keyword arguments read from a neutral {"gestion": …, "donnees": …} tree.

    Every key is present (None / [] when the tree is silent), so a carrier with its own flat
    fields (OpenDataSoft) can update these with the values it has.
    """
    gestion, donnees = tree.get("gestion"), tree.get("donnees")
    typeavis = get(gestion, "reference", "typeavis")
    idweb = clean_text(text(get(gestion, "reference", "idweb")))
    natures = choice(get(typeavis, "nature"))
    statuts = choice(get(typeavis, "statut"))
    kind = kind_of(natures[0]) if natures else NoticeKind.OTHER
    objet = get(donnees, "objet")
    lot_nodes = every(objet, "lots", "lot")
    title, description = _title_description(gestion, objet, lot_nodes)
    lots = [_lot(node, i) for i, node in enumerate(lot_nodes, start=1)]
    indexation = get(gestion, "indexation")
    deadline_node = get(donnees, "conditiondelai", "receptoffres") or get(
        indexation, "datelimitereponse"
    )
    fields: dict[str, Any] = {
        "native_id": idweb,
        "kind": kind,
        "title": title,
        "description": description,
        "url": notice_url(idweb) if idweb else None,
        "language": (
            clean_text(text(get(donnees, "conditionrelativemarche", "langues", "langue"))) or "fr"
        ).lower(),
        "buyer": _buyer(gestion, donnees),
        "published": to_date(get(indexation, "datepublication")),
        "deadline": to_deadline(deadline_node) if deadline_node not in (None, "") else None,
        "cpv": cpv_codes(
            [text(c) for c in every(objet, "cpv", "principal") + every(objet, "cpv", "secondaire")]
        ),
        "contract_nature": next(
            (n for n in map(contract_nature, choice(get(objet, "typemarche"))) if n), None
        ),
        "procedure": next(
            (procedure_code(p) for p in choice(get(donnees, "procedure", "typeprocedure"))), None
        ),
        "places": _places(gestion, objet, lot_nodes),
        "lots": lots,
        "awardees": _awardees(donnees),
        "identifiers": _identifiers(idweb, gestion, donnees),
        "status": status_of(
            *natures,
            *statuts,
            "annulation" if get(donnees, "annulation") else None,
            "rectificatif" if get(donnees, "rectif") else None,
        ),
        **_reserved(gestion, donnees),
    }
    fields["estimated_value"] = _estimated_value(objet, lots, donnees, kind)
    if not fields["cpv"]:
        fields["cpv"] = unique([c for lot in lots for c in lot.cpv])
    return fields


def finish_lots(fields: dict[str, Any]) -> None:
    """A tender without LOTS is one lot; an award notice without LOTS keeps none (as published).

    BOAMP gives one reception deadline for the whole notice: every lot gets it.
    """
    if not fields["lots"] and fields["kind"] != NoticeKind.AWARD:
        fields["lots"] = [
            Lot(
                id="1",
                title=fields["title"],
                cpv=list(fields["cpv"]),
                places=fields["places"].model_copy(),
            )
        ]
    if fields.get("deadline"):
        fields["lots"] = [
            lot if lot.deadline else lot.model_copy(update={"deadline": fields["deadline"]})
            for lot in fields["lots"]
        ]


def require(fields: dict[str, Any], origin: str) -> None:
    """A notice needs its IDWEB and a title; say which one is missing."""
    record = fields.get("native_id")
    if not record:
        raise ParseError(origin, "notice without IDWEB")
    if not fields.get("title"):
        raise ParseError(
            origin, "notice without title (TITRE_MARCHE/OBJET_COMPLET/RESUME_OBJET)", record
        )
