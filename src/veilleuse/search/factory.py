"""Build the configured notice store (embedded by default, Elasticsearch when a URL is set)."""

from __future__ import annotations

from veilleuse.config.settings import Settings, StoreBackend
from veilleuse.search.store import NoticeStore


def open_store(settings: Settings) -> NoticeStore:
    """The store the settings name; nothing is connected until first use."""
    if settings.store.resolved_backend() is StoreBackend.ELASTICSEARCH:
        from veilleuse.search.elasticsearch_store import ElasticsearchStore

        return ElasticsearchStore(settings.store)
    from veilleuse.search.embedded_store import EmbeddedStore

    return EmbeddedStore(settings.store_path())
