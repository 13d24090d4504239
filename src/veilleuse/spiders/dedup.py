"""Cross-source deduplication: the same opportunity seen in two sources is linked, not merged.

A French tender above the EU thresholds is published in BOAMP and in TED; a région's call for
projects is relayed by Aides-territoires, a CRESS listing and a foundation's feed. Each source
keeps its own notice (its own uid, fields and raw payload), and both notices get the other's uid
in `also_in`, so digests can show one line with every source and statistics can count sources.

Keys (two notices of different sources sharing one key are the same opportunity):
- tenders: a TED publication number ("475939-2026", also read from "2026/S 134-475939" and
  zero-padded "00475939-2026") or a procedure identifier (the eForms/BOAMP contract folder UUID)
  among `identifiers`, or the TED notice's own number;
- funding calls: the canonical URL of the call (lower-case host without "www.", no fragment,
  no tracking parameters, no trailing slash), or normalised title + funder + deadline day.
`also_in` is part of the content hash, so a new link is stored like any other change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from veilleuse.core.models import Notice, NoticeKind
from veilleuse.core.normalise import fold

_TED = re.compile(r"^0*(\d{1,8})-(\d{4})$")
_OJS = re.compile(r"^(\d{4})/S\s*\d{1,3}-0*(\d{1,8})$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TRACKING = re.compile(r"^(utm_|xtor$|at_|fbclid$|gclid$|mc_)", re.I)
_CALL_PREFIX = re.compile(
    r"^(appel a projets?|appel a candidatures?|appel a manifestation d'interet|aap|ami)\b[\s:«»\"-]*"
)


def ted_number(identifier: str) -> str | None:
    """ "475939-2026" for any spelling of a TED publication number, else None."""
    text = identifier.strip()
    match = _TED.match(text)
    if match:
        return f"{int(match[1])}-{match[2]}"
    match = _OJS.match(text)
    return f"{int(match[2])}-{match[1]}" if match else None


def canonical_url(url: str | None) -> str | None:
    """A URL reduced to what identifies the page (see module docstring)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme.startswith("http") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, query, ""))


def title_key(title: str) -> str:
    """Folded title without punctuation nor the generic 'appel à projets' prefix."""
    text = fold(title).replace("’", "'")
    text = _CALL_PREFIX.sub("", text.strip())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def keys(notice: Notice) -> set[str]:
    """Every dedup key of one notice (prefixed by its kind of evidence)."""
    found: set[str] = set()
    if notice.kind is NoticeKind.FUNDING_CALL:
        for url in [notice.url, *notice.identifiers]:
            canonical = canonical_url(url)
            if canonical:
                found.add(f"url:{canonical}")
        deadline = notice.deadline
        day = deadline.date() if isinstance(deadline, datetime) else deadline
        if notice.title and notice.buyer.name and day:
            found.add(f"call:{title_key(notice.title)}|{title_key(notice.buyer.name)}|{day}")
        return found
    candidates = list(notice.identifiers)
    if notice.source == "ted":
        candidates.append(notice.native_id)
    for identifier in candidates:
        number = ted_number(identifier)
        if number:
            found.add(f"ted:{number}")
        elif _UUID.match(identifier.strip()):
            found.add(f"procedure:{identifier.strip().lower()}")
    return found


def groups(notices: Sequence[Notice]) -> list[list[int]]:
    """Indexes of notices that are one opportunity across sources (union-find on shared keys)."""
    parent = list(range(len(notices)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for index, notice in enumerate(notices):
        for key in keys(notice):
            if key in first:
                parent[root(index)] = root(first[key])
            else:
                first[key] = index
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(notices)):
        members[root(index)].append(index)
    return [m for m in members.values() if len({notices[i].source for i in m}) > 1]


def link_duplicates(notices: Sequence[Notice]) -> list[Notice]:
    """The notices with `also_in` set to the uids of the same opportunity in other sources."""
    out = list(notices)
    for group in groups(notices):
        for index in group:
            mine = notices[index]
            others = {notices[j].uid for j in group if notices[j].source != mine.source}
            also_in = sorted(set(mine.also_in) | others)
            out[index] = mine.model_copy(update={"also_in": also_in}).with_hash()
    return out


def duplicate_rates(notices: Iterable[Notice]) -> dict[tuple[str, str], float]:
    """For each ordered pair of sources (a, b): the share of a's notices also found in b.

    Computed on the notices as given (after `link_duplicates`, or linked here when no notice has
    `also_in` yet); pairs without any duplicate are left out."""
    listed = list(notices)
    if not any(n.also_in for n in listed):
        listed = link_duplicates(listed)
    return linked_duplicate_rates(listed)


def linked_duplicate_rates(notices: Iterable[Notice]) -> dict[tuple[str, str], float]:
    """`duplicate_rates` of notices already linked (`also_in` set), counted in one pass without
    keeping them: the stored notices, which the index stage links before writing. The index stage
    records the result (`records.sources.replace_duplicate_rates`) for the sources page."""
    totals: dict[str, int] = defaultdict(int)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for notice in notices:
        totals[notice.source] += 1
        for other in {uid.split(":", 1)[0] for uid in notice.also_in} - {notice.source}:
            shared[(notice.source, other)] += 1
    return {pair: count / totals[pair[0]] for pair, count in sorted(shared.items())}
