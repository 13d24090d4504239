"""The neutral BOAMP tree: one shape for the XML, the DILA JSON and the OpenDataSoft `donnees`.

Dicts keyed by the tag name lower-cased without `_`/`-` (`MARCHE_RESERVE_OUI` and
`marchereserveoui` both become `marchereserveoui`), a present empty element as "", an absent one
as a missing key, a repeated one as a list, a leaf with attributes as {"value": text, "<attr>": …}.
The accessors below never raise on a missing branch: BOAMP notices omit most elements.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


def norm_key(key: str) -> str:
    """'MARCHE_RESERVE_OUI' / 'marchereserveoui' / '@DEVISE' → 'marchereserveoui' / 'devise'."""
    if key == "#text":
        return "value"
    return re.sub(r"[^0-9a-z]", "", key.lower())


def tree_from_element(element: etree._Element) -> Any:
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        text = element.text or ""
        attrs = {norm_key(k): v for k, v in element.attrib.items() if not k.startswith("{")}
        return {"value": text, **attrs} if attrs else text
    out: dict[str, Any] = {}
    for child in children:
        key = norm_key(etree.QName(child).localname)
        value = tree_from_element(child)
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def _tiny_xml_text(value: str) -> str:
    """The DILA JSON renders empty elements as '<?xml …?><MAPA/>': keep only their text."""
    safe = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        element = etree.fromstring(_XML_DECL.sub("", value), safe)
    except etree.XMLSyntaxError:
        return value
    return "".join(element.itertext())


def tree_from_json(value: Any, *, null_is_present: bool) -> Any:
    """Normalise a JSON rendering of the tree.

    `null_is_present`: xmltodict-style dumps (OpenDataSoft `donnees`) write an empty element as
    null; the DILA API writes every absent optional element as null instead.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None and not null_is_present:
                continue
            out[norm_key(str(key))] = (
                "" if item is None else tree_from_json(item, null_is_present=null_is_present)
            )
        return out
    if isinstance(value, list):
        return [tree_from_json(v, null_is_present=null_is_present) for v in value if v is not None]
    if isinstance(value, str) and value.lstrip().startswith("<?xml"):
        return _tiny_xml_text(value)
    return value


def as_list(node: Any) -> list[Any]:
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def get(node: Any, *path: str) -> Any:
    """The first node at `path` (lists along the way are entered at their first item)."""
    for key in path:
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def every(node: Any, *path: str) -> list[Any]:
    """All nodes at `path`, following every repetition."""
    nodes = as_list(node)
    for key in path:
        nodes = [v for n in nodes if isinstance(n, dict) for v in as_list(n.get(key))]
    return nodes


def text(node: Any) -> str | None:
    if node is None or isinstance(node, bool):
        return None
    if isinstance(node, list):
        return text(node[0]) if node else None
    if isinstance(node, dict):
        return text(node.get("value"))
    return str(node)


def find(node: Any, key: str) -> list[Any]:
    """Every node named `key` anywhere below `node` (the schema moves some flags around)."""
    found: list[Any] = []
    for item in as_list(node):
        if isinstance(item, dict):
            for k, v in item.items():
                if k == key:
                    found.extend(as_list(v) or [v])
                else:
                    found.extend(find(v, key))
    return found


def choice(node: Any) -> list[str]:
    """Names of the children of an enumeration element (`<NATURE><APPEL_OFFRE/></NATURE>`)."""
    return [k for k in node if k != "value"] if isinstance(node, dict) else []
