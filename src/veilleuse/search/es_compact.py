"""Force-merge of the Elasticsearch notice index after a large write (`ElasticsearchStore.compact`).

Why: a bulk write leaves the index in tens of segments (58 after writing 1,000,000 notices), and
every kNN search walks one HNSW graph per segment, every text search one term dictionary per
segment: search time grows with the segment count. Merging into `store.forcemerge_segments`
(default 1) makes each search one graph's work. (The old copies of updated notices stay in the
merged segment as soft deletes for Elasticsearch's retention lease, 12 h; next week's merge
drops them.)

When: a merge rewrites the whole index (minutes at a million notices), so only when the write
changed at least `store.forcemerge_min_changed` notices (a national week: ~15,000; a source's
daily collection: tens to hundreds), or when the index holds more than `SEGMENTS_TRIGGER`
segments whatever the write (the per-source collect flows' small writes add up over a week).
Elastic advises against merging an index that is still written to, because a merged segment
over 5 GB is left out of the natural merges until most of it is deleted; merging it again each
week keeps it whole and purges the deleted copies.

Bounded: the call waits `store.forcemerge_timeout` seconds; then the merge goes on in the server
(searches keep using the old segments until it ends) and the report says "running".
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from elastic_transport import ConnectionTimeout

from veilleuse.search.store import CompactReport

if TYPE_CHECKING:
    from veilleuse.search.es_index import EsIndex

#: merge whatever the write when the index has more segments than this (see the module doc)
SEGMENTS_TRIGGER = 20


def segment_count(store: EsIndex, index: str) -> int:
    """Searchable segments of the index's primary shards."""
    with store._guard("segment count"):
        stats = store.client.indices.stats(index=index, metric="segments")
    return int(stats["_all"]["primaries"]["segments"]["count"])


def compact_index(store: EsIndex, changed: int) -> CompactReport:
    """Force-merge the index behind the store's alias when the rule above says so."""
    settings = store.settings
    target = settings.forcemerge_segments
    if target == 0:
        return CompactReport("skipped", "never merged (store.forcemerge_segments = 0)")
    index = store.current_index()
    if index is None:
        return CompactReport("skipped", "no index yet")
    before = segment_count(store, index)
    if before <= target:
        return CompactReport("skipped", f"{before} segment(s) already", segments_before=before)
    if changed < settings.forcemerge_min_changed and before <= SEGMENTS_TRIGGER:
        return CompactReport(
            "skipped",
            f"{changed} notices changed (< {settings.forcemerge_min_changed}), "
            f"{before} segments (<= {SEGMENTS_TRIGGER})",
            segments_before=before,
        )
    started = time.perf_counter()
    client = store.client.options(request_timeout=settings.forcemerge_timeout)
    with store._guard(f"force-merge of {index}"):
        try:
            client.indices.forcemerge(index=index, max_num_segments=target)
        except ConnectionTimeout:  # the merge itself goes on in the server
            waited = time.perf_counter() - started
            return CompactReport(
                "running",
                f"force-merge of {index} still running in the server after {waited:.0f} s "
                f"({before} segments before); searches use the old segments until it ends",
                waited,
                before,
            )
        store.client.indices.refresh(index=index)
    seconds = time.perf_counter() - started
    after = segment_count(store, index)
    detail = f"{index}: {before} segments merged into {after} in {seconds:.1f} s"
    return CompactReport("merged", detail, seconds, before, after)
