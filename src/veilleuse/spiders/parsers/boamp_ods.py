"""BOAMP on OpenDataSoft Explore v2.1 (`boamp-datadila.opendatasoft.com`, dataset `boamp`).

A page is `{"total_count": N, "results": [record, …]}` (an export is a bare list). Each record has
flat fields (`idweb`, `objet`, `nomacheteur`, `dateparution`, `datelimitereponse`,
`code_departement`, `type_marche`, `nature`, `etat`, `url_avis`, …) and a `donnees` JSON string:
the v230 `DONNEES` tree for older notices, an eForms tree for newer ones. Flat fields are read
first; a v230 `donnees` then fills what they lack (lots, CPV, buyer address, reservation,
awardees). Caveat: no genuine record was available — see data/samples/boamp/ods_v21/README.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Awardee, Notice, NoticeKind, Places
from veilleuse.core.normalise import (
    PARIS,
    clean_text,
    normalise_department,
    parse_date,
    parse_deadline,
    unique,
)
from veilleuse.spiders.parsers import boamp_common as bc
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records, load_json
from veilleuse.spiders.parsers.boamp_tree import as_list, tree_from_json

_V230_KEYS = {"identite", "objet", "conditionparticipation", "conditiondelai", "attribution"}


def _values(value: Any) -> list[str]:
    """ODS multi-valued fields come as lists, single ones as strings."""
    return [str(v).strip() for v in as_list(value) if v is not None and str(v).strip()]


def _load_tree(
    record: dict[str, Any], key: str, origin: str, problems: list[Problem] | None
) -> Any:
    """`donnees` / `gestion` JSON string → neutral tree; None when absent or unreadable."""
    value = record.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            if problems is not None:
                problems.append(
                    Problem(
                        origin,
                        f"'{key}' is not valid JSON ({exc}); flat fields only",
                        str(record.get("idweb")),
                    )
                )
            return None
    tree = tree_from_json(value, null_is_present=True)
    if isinstance(tree, dict) and set(tree) == {key}:  # {"DONNEES": {...}} wrapper
        tree = tree[key]
    return tree


def _deadline(value: Any) -> Any:
    deadline = parse_deadline(value)
    return deadline.astimezone(PARIS) if isinstance(deadline, datetime) else deadline


def _flat_fields(record: dict[str, Any]) -> dict[str, Any]:
    idweb = clean_text(record.get("idweb"))
    performed = _values(record.get("code_departement_prestation"))
    departments = unique(
        [
            normalise_department(d) or ""
            for d in performed or _values(record.get("code_departement"))
        ]
    )
    # `nature` ("APPEL_OFFRE"), else the first part of `nature_categorise` ("appeloffre/standard")
    categorised = [c.split("/")[0] for c in _values(record.get("nature_categorise"))]
    natures = [
        n
        for n in [*_values(record.get("nature")), *categorised]
        if bc.kind_of(n) != NoticeKind.OTHER
    ]
    fields: dict[str, Any] = {
        "native_id": idweb,
        "kind": bc.kind_of(natures[0]) if natures else None,
        "title": clean_text(record.get("objet")),
        "url": clean_text(record.get("url_avis")) or (bc.notice_url(idweb) if idweb else None),
        "published": parse_date(record.get("dateparution")),
        "deadline": _deadline(record.get("datelimitereponse")),
        "contract_nature": next(
            (n for n in map(bc.contract_nature, _values(record.get("type_marche"))) if n), None
        ),
        "procedure": next(map(bc.procedure_code, _values(record.get("type_procedure"))), None),
        "places": Places(departments=departments),
        "awardees": [Awardee(name=clean_text(n)) for n in _values(record.get("titulaire"))],
        "identifiers": unique([idweb or "", clean_text(record.get("contractfolderid")) or ""]),
        "status": bc.status_of(*_values(record.get("nature")), *_values(record.get("etat"))),
    }
    return {k: v for k, v in fields.items() if v not in (None, [], "") and v != Places()}


def parse_record(
    record: dict[str, Any], origin: str, source: str, problems: list[Problem] | None = None
) -> Notice:
    """One ODS record → Notice; an unreadable `donnees` is reported in `problems` (if given)."""
    if not isinstance(record, dict):
        raise ParseError(origin, f"record is a {type(record).__name__}, not an object")
    record = record.get("record", {}).get("fields", record) if "record" in record else record
    flat = _flat_fields(record)
    donnees = _load_tree(record, "donnees", origin, problems)
    gestion = _load_tree(record, "gestion", origin, problems)
    is_v230 = isinstance(donnees, dict) and bool(_V230_KEYS & set(donnees))
    fields = bc.notice_fields({"gestion": gestion, "donnees": donnees if is_v230 else None})
    if "status" in flat:
        flat["status"] = bc.status_of(flat["status"], fields["status"])
    if clean_text(record.get("nomacheteur")):
        fields["buyer"] = fields["buyer"].model_copy(
            update={"name": clean_text(record["nomacheteur"])}
        )
    if flat.get("places") and not fields["buyer"].department:
        fields["buyer"] = fields["buyer"].model_copy(
            update={"department": flat["places"].departments[0]}
        )
    if "places" in flat:
        flat["places"] = Places(departments=flat["places"].departments, nuts=fields["places"].nuts)
    if fields["awardees"]:
        flat.pop("awardees", None)
    flat["identifiers"] = unique([*flat.get("identifiers", []), *fields["identifiers"]])
    fields.update(flat)
    bc.require(fields, origin)
    bc.finish_lots(fields)
    native_id = fields.pop("native_id")
    return Notice(
        uid=f"{source}:{native_id}", source=source, native_id=native_id, raw=record, **fields
    )


class BoampOdsParser:
    name = bc.SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head[:1] not in (b"{", b"["):
            return False
        return b'"idweb"' in head and (b'"nomacheteur"' in head or b'"total_count"' in head)

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        loaded = load_json(data, origin)
        if loaded.failed:
            return ParseResult(problems=loaded.problems)
        payload = loaded.value
        if isinstance(payload, dict) and isinstance(payload.get("results"), list):
            records = payload["results"]
        elif isinstance(payload, list):
            records = payload
        else:
            return ParseResult(
                problems=[Problem(origin, "no 'results' list in the OpenDataSoft page")]
            )
        uid_source = source or self.name
        problems: list[Problem] = []

        def record_id(record: Any, index: int) -> str:
            idweb = record.get("idweb") if isinstance(record, dict) else None
            return str(idweb) if idweb else f"#{index}"

        result = collect_records(
            ((record_id(r, i), r) for i, r in enumerate(records, start=1)),
            lambda r: parse_record(r, origin, uid_source, problems),
            origin,
        )
        result.problems[:0] = loaded.problems
        result.problems.extend(problems)
        return result


PARSER = BoampOdsParser()
