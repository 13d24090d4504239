"""The application context: settings plus the resources a use case needs, opened on first use.

One `Context` per command, task or web request scope. Nothing is connected when it is built;
the store, the records database, the embedder and the mailer open on first access and close
together when the `with` block ends (also on error), so no front end builds or forgets them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from veilleuse.config.settings import Settings, get_settings
from veilleuse.records.db import Records

if TYPE_CHECKING:
    from veilleuse.core.embedder import Embedder
    from veilleuse.digests.mailer import Mailer
    from veilleuse.search.store import NoticeStore


class Context:
    """Settings and lazily opened resources; pass ready-made ones to substitute a seam in tests."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: NoticeStore | None = None,
        records: Records | None = None,
        embedder: Embedder | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._records = records
        self._embedder = embedder
        self._mailer = mailer
        # resources given by the caller are the caller's to close
        self._owned: set[str] = set()

    @property
    def store(self) -> NoticeStore:
        if self._store is None:
            from veilleuse.search.factory import open_store

            self._store = open_store(self.settings)
            self._owned.add("store")
        return self._store

    @property
    def records(self) -> Records:
        if self._records is None:
            self._records = Records(self.settings.records_url())
            self._owned.add("records")
        return self._records

    @property
    def embedder(self) -> Embedder:
        """The configured sentence embedder (loads the model on its first `encode`)."""
        if self._embedder is None:
            from veilleuse.search.embeddings import make_embedder

            self._embedder = make_embedder(
                self.settings.embedding, self.settings.embedding_cache_path()
            )
            self._owned.add("embedder")
        return self._embedder

    @property
    def mailer(self) -> Mailer:
        if self._mailer is None:
            from veilleuse.digests.mailer import make_mailer

            self._mailer = make_mailer(self.settings)
        return self._mailer

    def has_embedder(self) -> bool:
        return self._embedder is not None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def close(self) -> None:
        """Close what this context opened; safe to call twice."""
        if "store" in self._owned and self._store is not None:
            self._store.close()
            self._store = None
        if "embedder" in self._owned and self._embedder is not None:
            close = getattr(self._embedder, "close", None)
            if close is not None:
                close()
            self._embedder = None
        if "records" in self._owned and self._records is not None:
            self._records.dispose()
            self._records = None
        self._owned.clear()

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
