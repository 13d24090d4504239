"""Index stage: upsert notices into the store, embedding what is new or changed in the same
write when an embedder is given; `embed_missing` catches up on whatever still lacks a vector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from veilleuse.core.deadlines import is_past
from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Notice, NoticeStatus
from veilleuse.search.store import DuplicatePolicy, NoticeStore, WriteReport, notice_vectors


def refresh_status(notice: Notice, now: datetime) -> Notice:
    """An open notice whose own deadline is past (`is_past`) becomes closed; nothing is ever
    deleted. A notice dated only lot by lot stays open (matching skips it once all are past)."""
    if notice.status is NoticeStatus.OPEN and is_past(notice.deadline, now):
        return notice.model_copy(update={"status": NoticeStatus.CLOSED}).with_hash()
    return notice


def index_notices(
    store: NoticeStore,
    notices: Sequence[Notice],
    now: datetime | None = None,
    embedder: Embedder | None = None,
) -> WriteReport:
    """Upsert `notices`; with `embedder`, new and changed ones are stored with their vectors
    in the same write (one pass: no partial update per vector afterwards)."""
    now = now or datetime.now(UTC)
    return store.write(
        (refresh_status(n, now) for n in notices),
        policy=DuplicatePolicy.OVERWRITE,
        embedder=embedder,
    )


def embed_missing(
    store: NoticeStore,
    embedder: object,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed every stored notice whose vector is missing or stale; returns how many."""
    name = embedder.name  # type: ignore[attr-defined]
    todo = store.uids_without_vector(name)
    for start in range(0, len(todo), batch_size):
        notices = store.get_many(todo[start : start + batch_size])
        vectors = notice_vectors(embedder, notices)  # type: ignore[arg-type]
        store.set_vectors({n.uid: v for n, v in zip(notices, vectors, strict=True)}, model=name)
        if progress:
            progress(len(notices))
    return len(todo)
