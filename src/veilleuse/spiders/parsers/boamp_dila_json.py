"""Old DILA BOAMP JSON API (`api.dila.fr/opendata/api-boamp/annonces/v230/<idweb>`): the v230
tree with lower-case keys without underscores, every absent element as null, dates as epoch
milliseconds (Paris) and empty elements as tiny XML strings. The API is retired; recorded files
and archives remain. A payload is one notice object or a list of them.
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Notice
from veilleuse.spiders.parsers import boamp_common as bc
from veilleuse.spiders.parsers.base import ParseResult, collect_records, load_json
from veilleuse.spiders.parsers.boamp_tree import get, tree_from_json


def build(record: Any, origin: str, source: str) -> Notice:
    if not isinstance(record, dict) or not isinstance(record.get("gestion"), dict):
        raise ParseError(origin, "not a BOAMP notice object (no 'gestion' object)")
    tree = tree_from_json(record, null_is_present=False)
    fields = bc.notice_fields(tree)
    bc.require(fields, origin)
    bc.finish_lots(fields)
    native_id = fields.pop("native_id")
    return Notice(
        uid=f"{source}:{native_id}", source=source, native_id=native_id, raw=record, **fields
    )


def _record_id(record: Any, index: int) -> str:
    idweb = get(record, "gestion", "reference", "idweb") if isinstance(record, dict) else None
    return str(idweb) if idweb else f"#{index}"


class BoampDilaJsonParser:
    name = bc.SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head[:1] in (b"{", b"[") and b'"gestion"' in head and b'"typeavis"' in head

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        loaded = load_json(data, origin)
        if loaded.failed:
            return ParseResult(problems=loaded.problems)
        payload = loaded.value
        records = payload if isinstance(payload, list) else [payload]
        uid_source = source or self.name
        result = collect_records(
            ((_record_id(r, i), r) for i, r in enumerate(records, start=1)),
            lambda r: build(r, origin, uid_source),
            origin,
        )
        result.problems[:0] = loaded.problems
        return result


PARSER = BoampDilaJsonParser()
