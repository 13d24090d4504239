"""BOAMP open-data XML (DILA schema `Boamp_v230.xsd`): one `ANNONCE` per file, or several under a
wrapper root. Publisher: DILA (Licence Ouverte). Caveats: apostrophes are often lost at source
("dune"), `DEP_PUBLICATION` has no leading zero, award notices usually carry no `LOTS`.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers import boamp_common as bc
from veilleuse.spiders.parsers.base import ParseResult, Problem, collect_records
from veilleuse.spiders.parsers.boamp_tree import tree_from_element


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)


def build(element: etree._Element, origin: str, source: str) -> Notice:
    """One `ANNONCE` element → Notice (raw = the element's XML text)."""
    fields = bc.notice_fields(tree_from_element(element))
    bc.require(fields, origin)
    bc.finish_lots(fields)
    native_id = fields.pop("native_id")
    return Notice(
        uid=f"{source}:{native_id}",
        source=source,
        native_id=native_id,
        raw=etree.tostring(element, encoding="unicode"),
        **fields,
    )


class BoampXmlParser:
    name = bc.SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:4096]
        return b"<ANNONCE" in head and (b"Boamp_v" in head or b"<GESTION" in head)

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            return ParseResult(problems=[Problem(origin, f"invalid XML: {exc}")])
        annonces = [root] if root.tag == "ANNONCE" else list(root.iter("ANNONCE"))
        if not annonces:
            return ParseResult(
                problems=[Problem(origin, f"no ANNONCE element (root <{root.tag}>)")]
            )
        uid_source = source or self.name

        def records() -> Any:
            for index, element in enumerate(annonces, start=1):
                yield element.findtext("GESTION/REFERENCE/IDWEB") or f"#{index}", element

        return collect_records(records(), lambda el: build(el, origin, uid_source), origin)


PARSER = BoampXmlParser()
