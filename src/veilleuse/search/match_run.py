"""Match stage: actors × open notices → matches and grouped-bid suggestions, kept in records."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from veilleuse.config.settings import Settings
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.records import repository as repo
from veilleuse.records.db import Records
from veilleuse.search.cold_start import with_suggested_cpv
from veilleuse.search.consortia import suggest_grouped_bids
from veilleuse.search.embeddings import make_embedder
from veilleuse.search.factory import open_store
from veilleuse.search.matching import match, prepare_inputs
from veilleuse.search.store import Filters

MATCHABLE_KINDS = [NoticeKind.TENDER, NoticeKind.PIN, NoticeKind.FUNDING_CALL]


@dataclass
class MatchRunReport:
    actors: int
    notices: int
    matches: int
    suggestions: int
    seconds: float


def run_matching(settings: Settings, now: datetime) -> MatchRunReport:
    """Recompute matches for every active actor over every open notice; store them."""
    started = time.perf_counter()
    records = Records(settings.records_url())
    actors = repo.list_actors(records)
    store = open_store(settings)
    try:
        notices = list(
            store.iter_notices(Filters(kinds=MATCHABLE_KINDS, statuses=[NoticeStatus.OPEN]))
        )
        if any(not a.cpv_interests for a in actors):  # cold start from past contracts
            awards = list(store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
            actors = [with_suggested_cpv(a, awards) for a in actors]
    finally:
        store.close()
    embedder = make_embedder(settings.embedding, settings.embedding_cache_path())
    try:
        inputs = prepare_inputs(actors, notices, embedder)
    finally:
        embedder.close()
    matches = match(
        inputs, settings.matching, today=now.date(), rejected=repo.rejected_pairs(records)
    )
    suggestions = suggest_grouped_bids(inputs, matches, settings.matching)
    repo.reset_matches(records)
    repo.save_matches(records, matches)
    repo.save_suggestions(records, suggestions)
    return MatchRunReport(
        len(actors), len(notices), len(matches), len(suggestions), time.perf_counter() - started
    )
