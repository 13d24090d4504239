"""DECP (données essentielles de la commande publique) JSON → award notices.

Publisher: buyers via the national DECP consolidation (data.gouv.fr). Two shapes: the 2019 format
`{"marches": [...]}` and the 2022 format `{"marches": {"marche": [...], "contrat-concession":
[...]}}`. Choices: native_id is `uid`, else the buyer SIRET + `id` (how DECP composes `uid`, as
`id` alone is only unique per buyer); the latest modification (by notification date) that gives a
`montant` or `titulaires` replaces the original ones; titulaires that are not SIRET (TVA…) or are
malformed are left out; `parse_money` turns absurd amounts (1e17 in test data) into None.
Social clause comes from `considerationsSociales` (2022 only), with the value as evidence.
"""

from __future__ import annotations

from typing import Any

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
    Places,
)
from veilleuse.core.normalise import (
    clean_text,
    cpv_codes,
    department_from_postcode,
    fold,
    normalise_department,
    parse_date,
    parse_money,
    siret,
    unique,
)
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import has_keys, json_head, parse_json_records

SOURCE = "decp"
_SOCIAL_YES = ("clause sociale", "critere social")
_SOCIAL_NO = "pas de consideration sociale"


def records_of(payload: Any) -> list[Any] | None:
    """Contracts of either format, or None when the payload is not DECP."""
    if not isinstance(payload, dict):
        return None
    marches = payload.get("marches")
    if isinstance(marches, list):
        return marches
    if isinstance(marches, dict):
        found = [marches.get("marche"), marches.get("contrat-concession")]
        if any(isinstance(f, list) for f in found):
            return [r for f in found if isinstance(f, list) for r in f]
    return None


def _awardees(items: object) -> list[Awardee]:
    out: dict[str, Awardee] = {}
    for item in items if isinstance(items, list) else []:
        entry = item.get("titulaire", item) if isinstance(item, dict) else None
        if not isinstance(entry, dict):
            continue  # malformed ({"titulaire": "id"}) in some exports
        kind = clean_text(entry.get("typeIdentifiant")) or "SIRET"
        number = siret(entry.get("id")) if kind.upper() == "SIRET" else None
        name = clean_text(entry.get("denominationSociale") or entry.get("nom"))
        if number or name:
            out.setdefault(number or name or "", Awardee(name=name, siret=number))
    return list(out.values())


def _modifications(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Modifications oldest first (both formats wrap them differently)."""
    mods = []
    for item in record.get("modifications") or []:
        mod = item.get("modification", item) if isinstance(item, dict) else None
        if isinstance(mod, dict):
            mods.append(mod)
    return sorted(
        mods,
        key=lambda m: str(
            m.get("dateNotificationModification")
            or m.get("datePublicationDonneesModification")
            or ""
        ),
    )


def _department(place: object) -> str | None:
    if not isinstance(place, dict):
        return None
    code = clean_text(place.get("code")) or ""
    kind = (clean_text(place.get("typeCode")) or "").lower()
    if "commune" in kind:  # INSEE code: 69123 → 69, 2A004 → 2A, 97411 → 974
        return code[:3] if code.startswith(("97", "98")) else normalise_department(code[:2])
    if "partement" in kind:
        return normalise_department(code)
    if "postal" in kind or (not kind and len(code) == 5):
        return department_from_postcode(code)
    return None


def _nature(cpv: list[str]) -> ContractNature | None:
    if not cpv:
        return None
    division = int(cpv[0][:2])
    if division == 45:
        return ContractNature.WORKS
    return ContractNature.SUPPLIES if division < 45 or division == 48 else ContractNature.SERVICES


def _social(record: dict[str, Any]) -> tuple[bool | None, list[str]]:
    block = record.get("considerationsSociales")
    values = block.get("considerationSociale") if isinstance(block, dict) else block
    labels = [
        t for t in (clean_text(v) for v in (values if isinstance(values, list) else [values])) if t
    ]
    folded = [fold(label) for label in labels]
    yes = [lab for lab, f in zip(labels, folded, strict=True) if f in _SOCIAL_YES]
    if yes:
        return True, [f"considerationsSociales: {lab}" for lab in yes]
    if labels and all(f == _SOCIAL_NO for f in folded):
        return False, [f"considerationsSociales: {labels[0]}"]
    return None, []


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    concession = "concession" in (clean_text(record.get("_type")) or "").lower()
    buyer_block = record.get("autoriteConcedante" if concession else "acheteur")
    buyer = buyer_block if isinstance(buyer_block, dict) else {}
    buyer_siret = siret(buyer.get("id"))
    contract_id = clean_text(record.get("id"))
    native = clean_text(record.get("uid")) or (
        f"{buyer_siret}{contract_id}" if buyer_siret and contract_id else contract_id
    )
    if not native:
        raise ParseError("", "missing id")
    title = clean_text(record.get("objet"))
    if not title:
        raise ParseError("", "missing objet (title)", native)

    value_key = "valeurGlobale" if concession else "montant"
    amount = parse_money(record.get(value_key))
    awardees = _awardees(record.get("concessionnaires" if concession else "titulaires"))
    for mod in _modifications(record):
        if mod.get(value_key) not in (None, ""):
            amount = parse_money(mod.get(value_key))
        awardees = _awardees(mod.get("titulaires")) or awardees

    cpv = cpv_codes(record.get("codeCPV"))
    value = Money(amount=amount) if amount is not None else None
    department = _department(record.get("lieuExecution"))
    places = Places(departments=[department] if department else [])
    social, evidence = _social(record)
    return Notice(
        uid=f"{source}:{native}",
        source=source,
        native_id=native,
        kind=NoticeKind.AWARD,
        title=title,
        language="fr",
        buyer=Buyer(name=clean_text(buyer.get("nom")), siret=buyer_siret),
        published=parse_date(record.get("dateNotification") or record.get("dateSignature")),
        cpv=cpv,
        contract_nature=_nature(cpv),
        procedure=clean_text(record.get("procedure")),
        places=places,
        estimated_value=value,
        lots=[Lot(id="1", cpv=cpv, estimated_value=value, social_clause=social, places=places)],
        social_clause=social,
        evidence=Evidence(social_clause=evidence),
        awardees=awardees,
        identifiers=unique([contract_id or "", clean_text(record.get("idAccordCadre")) or ""]),
        raw=record,
    )


class DecpParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data, 4096)
        return head.startswith("{") and has_keys(head, "marches")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data,
            origin,
            records_of,
            "DECP 'marches' (a list, or an object with a 'marche' list)",
            "id",
            lambda record: build(record, src),
        )


PARSER = DecpParser()
