"""Live readiness of the sources: a one-page dry run per source, before a deployment enables it.

`fetch_check` crawls each source as `veilleuse collect` would, but bounded to a first page
(a few HTTP responses: robots.txt or a token exchange, then the first page of results), over a
wide date window and without conditional headers, so that a source answering "nothing new" is
not mistaken for a working one. Nothing is stored and no watermark moves. Each source gets a
verdict a watch officer can act on: `ok`, `degraded` (a field selector of a listing page matches
nothing in any block), `empty` (fetched, nothing listed), `broken` (no answer, an HTTP
error, an unreadable page, the listing selector matches nothing, or no title/link at all) or
`unconfigured` (a secret setting is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from veilleuse.app.context import Context
from veilleuse.core.models import Notice
from veilleuse.spiders.catalogue import SourceEntry, SourceKind, load_catalogue, select
from veilleuse.spiders.collect import collect_live
from veilleuse.spiders.recorded import SourceBatch
from veilleuse.spiders.sources.html_listing import NO_MATCH

#: responses per source: robots.txt or a token exchange, the first page, at most one more
CHECK_PAGES = 3
#: publication window of the check: wide, so that a quiet source still shows items
CHECK_DAYS = 365
#: option overrides that keep a check to one small page (unknown options are ignored by spiders)
CHECK_OPTIONS: dict[str, Any] = {"page_size": 10, "max_pages": 1, "fetch_xml": False}
CHECK_TIMEOUT_S = 180.0

#: field → how a notice gives it
FIELDS: dict[str, Callable[[Notice], object]] = {
    "title": lambda n: n.title,
    "url": lambda n: n.url,
    "deadline": lambda n: n.deadline,
    "funder": lambda n: n.buyer.name,
    "published": lambda n: n.published,
}
#: fields every item of a source of that kind must have (award data such as DECP has no URL)
REQUIRED = {
    SourceKind.API: ("title",),
    SourceKind.SPIDER: ("title",),
    SourceKind.FEED: ("title", "url"),
    SourceKind.HTML: ("title", "url"),
}
#: HTML listing option → the field its selector fills
SELECTOR_FIELDS = {
    "title": "title",
    "link": "url",
    "deadline": "deadline",
    "funder_selector": "funder",
    "published": "published",
}
VERDICTS = ("ok", "degraded", "empty", "broken", "unconfigured")
FAILING = frozenset({"broken", "unconfigured"})


@dataclass
class FetchCheck:
    """One source's dry run, as `veilleuse sources check --fetch` reports it."""

    source: str
    kind: str
    endpoint: str
    #: the first page's HTTP status (the refused status when no page came), None: no answer
    http_status: int | None
    items: int
    #: field → how many items lack it (only fields missing somewhere)
    missing: dict[str, int] = field(default_factory=dict)
    #: "ok", "no-match" (the listing selector matched no block), field selectors matching
    #: nothing ("no-match: deadline"), or "n/a" (no selectors, or no page read to try them on)
    selectors: str = "n/a"
    verdict: str = "ok"
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_check(
    ctx: Context,
    sources: list[str] | None = None,
    include_disabled: bool = False,
    *,
    catalogue: list[SourceEntry] | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
    today: date | None = None,
    days: int = CHECK_DAYS,
    parallel: int = 2,
) -> list[FetchCheck]:
    """Dry-run one page of each named source (else each enabled one, or every one)."""
    entries = select(
        catalogue if catalogue is not None else load_catalogue(),
        list(sources or []),
        include_disabled=include_disabled,
    )
    unconfigured = {e.name: e.missing_secrets(ctx.settings) for e in entries}
    runnable = [check_entry(e) for e in entries if not unconfigured[e.name]]
    since = (today or ctx.now().date()) - timedelta(days=days)
    batches = (
        collect_live(
            ctx.settings,
            ctx.records,
            [e.name for e in runnable],
            since=since,
            dry_run=True,
            catalogue=runnable,
            scrapy_overrides={"CLOSESPIDER_PAGECOUNT": CHECK_PAGES, **(scrapy_overrides or {})},
            parallel=parallel,
            timeout_s=CHECK_TIMEOUT_S,
        )
        if runnable
        else {}
    )
    lines = []
    for entry in entries:
        endpoint = entry.resolved_endpoint(ctx.settings)
        if unconfigured[entry.name]:
            reason = f"paramètre secret absent : {', '.join(unconfigured[entry.name])}"
            lines.append(
                FetchCheck(entry.name, entry.kind.value, endpoint, None, 0, {}, "n/a",
                           "unconfigured", [reason])
            )  # fmt: skip
            continue
        lines.append(judge(entry, endpoint, batches[entry.name]))
    return lines


def check_entry(entry: SourceEntry) -> SourceEntry:
    """The entry with the options that keep its crawl to one small page."""
    return replace(entry, options={**entry.options, **CHECK_OPTIONS})


def judge(entry: SourceEntry, endpoint: str, batch: SourceBatch) -> FetchCheck:
    """The verdict of one source from its dry-run batch."""
    statuses: list[int] = list(getattr(batch, "statuses", []))
    notices = batch.notices
    missing = {
        name: count
        for name, read in FIELDS.items()
        if (count := sum(1 for n in notices if read(n) in (None, "", [])))
    }
    reasons = [f"{p.origin} : {p.reason}" for p in batch.problems[:5]]
    broken: list[str] = []
    if not statuses:
        broken.append("aucune réponse HTTP")
    elif any(s >= 400 for s in statuses):
        broken.append(f"HTTP {next(s for s in statuses if s >= 400)}")
    selectors = "n/a"
    if entry.kind is SourceKind.HTML and any(200 <= s < 300 for s in statuses):
        selectors, selector_broken = _selectors(entry, batch, notices, missing)
        broken += selector_broken
    absent = [
        name for name in REQUIRED[entry.kind] if notices and missing.get(name) == len(notices)
    ]
    if absent:
        broken.append(f"aucun élément n'a de {', '.join(absent)}")
    if not notices and batch.problems and not broken:
        broken.append("page illisible : aucun élément lu")
    if broken:
        verdict = "broken"
    elif not notices:
        verdict = "empty"
    elif selectors.startswith("no-match"):
        verdict = "degraded"
    else:
        verdict = "ok"
    return FetchCheck(
        entry.name,
        entry.kind.value,
        endpoint,
        statuses[0] if statuses else None,
        len(notices),
        missing,
        selectors,
        verdict,
        broken + reasons,
    )


def _selectors(
    entry: SourceEntry, batch: SourceBatch, notices: list[Notice], missing: dict[str, int]
) -> tuple[str, list[str]]:
    """'ok', 'no-match' or 'no-match: <fields>' for an HTML listing, and what breaks it."""
    if any(p.reason == NO_MATCH for p in batch.problems):
        return "no-match", [f"le sélecteur des blocs ({entry.options.get('item')}) ne trouve rien"]
    if not notices:
        return "ok", []
    dead = [
        name
        for option, name in SELECTOR_FIELDS.items()
        if entry.options.get(option) and missing.get(name) == len(notices)
    ]
    return ("no-match: " + ", ".join(dead) if dead else "ok"), []


def failing(lines: list[FetchCheck]) -> list[FetchCheck]:
    """The sources a deployment must not enable as they are (broken or unconfigured)."""
    return [line for line in lines if line.verdict in FAILING]
