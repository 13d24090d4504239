"""The Elasticsearch side of the notice store that is not search: connection, errors, index
lifecycle (versioned index behind an alias, migration, drop), bulk requests with retries, scans.

`ElasticsearchStore` (elasticsearch_store.py) builds the protocol on this base. The client is
created on first use, so constructing either touches no network. Client errors become the
store's error tree with the URL (credentials removed) and what to check.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
)

from veilleuse.config.settings import StoreSettings
from veilleuse.core.errors import StoreError, StoreUnavailableError
from veilleuse.search.es_mapping import (
    MAPPING_VERSION,
    carried_fields,
    from_document,
    index_body,
    to_document,
)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
Op = tuple[str, str, dict[str, Any], dict[str, Any] | None]  # outcome, uid, action, body


def redact(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def reason(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    return f"{text} (caused by {reason(cause)})" if cause else text


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, max(1, size))):
        yield chunk


class EsIndex:
    """A notice index behind an alias on an Elasticsearch 8 cluster, connected on first use."""

    def __init__(
        self, settings: StoreSettings, *, index_alias: str | None = None, dimension: int = 384
    ) -> None:
        if not settings.url:
            raise StoreError("Elasticsearch store: no URL (set VEILLEUSE_STORE__URL)")
        self.settings = settings
        self.url = settings.url
        self.alias = index_alias or settings.index_alias
        self.dimension = dimension
        self._client: Elasticsearch | None = None
        self._ensured = False
        #: held while a write chunk takes its change instant and is sent: one process's writes
        #: reach the index in the order of their instants
        self._write_lock = threading.Lock()
        #: the last change instant written through this object
        self._last_instant: datetime | None = None
        self.sleep: Callable[[float], None] = time.sleep  # seam: tests make backoff instant

    # ------------------------------------------------------------------ connection

    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            s = self.settings
            options: dict[str, Any] = {
                "request_timeout": s.request_timeout,
                "max_retries": 2,  # connection errors only: bulk status retries are ours
                "retry_on_status": (),
                "retry_on_timeout": False,
                "verify_certs": s.verify_certs,
            }
            if s.ca_certs:
                options["ca_certs"] = str(s.ca_certs)
            if s.api_key:
                options["api_key"] = s.api_key.get_secret_value()
            elif s.username:
                password = s.password.get_secret_value() if s.password else ""
                options["basic_auth"] = (s.username, password)
            self._client = Elasticsearch(self.url, **options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn client errors into the store's error tree, with the URL and what to check."""
        where = redact(self.url)
        try:
            yield
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise StoreUnavailableError(
                f"Elasticsearch at {where} cannot be reached during {action} ({exc}): check that "
                "the server runs (make es-start for a local one), that VEILLEUSE_STORE__URL is "
                "right, and the TLS settings (VEILLEUSE_STORE__CA_CERTS, __VERIFY_CERTS)"
            ) from exc
        except (AuthenticationException, AuthorizationException) as exc:
            raise StoreError(
                f"Elasticsearch at {where} refused {action} ({exc.meta.status}): check "
                "VEILLEUSE_STORE__USERNAME/__PASSWORD or __API_KEY and the user's privileges"
            ) from exc
        except ApiError as exc:
            body = exc.body.get("error") if isinstance(exc.body, dict) else exc.body
            raise StoreError(
                f"Elasticsearch at {where}: {action} failed ({exc.meta.status}: {reason(body)})"
            ) from exc

    # ------------------------------------------------------------------ index lifecycle

    def _index_name(self, version: int) -> str:
        return f"{self.alias}-v{version}"

    def _body(self) -> dict[str, Any]:
        return index_body(self.settings.text_analyzer, self.dimension)

    def current_index(self) -> str | None:
        """The concrete index behind the alias, or None when the alias does not exist yet."""
        with self._guard("alias lookup"):
            try:
                found = self.client.indices.get_alias(name=self.alias)
            except NotFoundError:
                return None
        names = sorted(found.body)
        if len(names) != 1:
            raise StoreError(f"alias {self.alias} points to {len(names)} indices: {names}")
        return names[0]

    def ensure_index(self) -> str:
        """Create `<alias>-v1` behind the alias when the alias is absent; return the index."""
        current = self.current_index()
        if current is None:
            name = self._index_name(1)
            with self._guard(f"creation of index {name}"):
                try:
                    self.client.indices.create(index=name, aliases={self.alias: {}}, **self._body())
                except ApiError as exc:
                    if "resource_already_exists" in str(exc):
                        pass  # another process created it first
                    elif "filter type" in str(exc) or "analyzer" in str(exc):
                        raise StoreError(
                            f"index {name}: analyzer {self.settings.text_analyzer!r} is not "
                            f"available on {redact(self.url)} ({exc}); 'veilleuse_french' needs the "
                            "analysis-common module: use VEILLEUSE_STORE__TEXT_ANALYZER=standard"
                        ) from exc
                    else:
                        raise
            current = self.current_index() or name
        self._ensured = True
        return current

    def mapping_version(self, index: str) -> int:
        """The `veilleuse_mapping` version an index was created with (0 when unmarked)."""
        with self._guard("mapping lookup"):
            found = self.client.indices.get_mapping(index=index)
        body: dict[str, Any] = dict(found.body)
        entry: dict[str, Any] = next(iter(body.values()), {})
        meta: dict[str, Any] = entry.get("mappings", {}).get("_meta", {})
        return int(meta.get("veilleuse_mapping", 0))

    def _ready(self) -> Elasticsearch:
        """The client, once the index exists and has the mapping this version needs."""
        if not self._ensured:
            index = self.ensure_index()
            version = self.mapping_version(index)
            if version < MAPPING_VERSION:
                self._ensured = False
                raise StoreError(
                    f"index {index} behind {self.alias} has mapping version {version}, this "
                    f"version of Veilleuse needs {MAPPING_VERSION} (new filters and sorts): run "
                    "`veilleuse index migrate` to rebuild it"
                )
        return self.client

    def migrate(self) -> str:
        """Rebuild the index with the current mappings under `<alias>-v{n+1}`, then swap.

        Documents are copied client-side (the test distribution has no `_reindex`) and their
        derived fields recomputed. The alias keeps serving the old index until the atomic swap;
        notices written during the copy must be written again (the next collection does it).
        """
        old = self.ensure_index()
        match = re.search(r"-v(\d+)$", old)
        new = self._index_name(int(match.group(1)) + 1 if match else 2)
        es = self.client
        with self._guard(f"migration to {new}"):
            if es.indices.exists(index=new):  # left by an interrupted migration: never served
                es.indices.delete(index=new)
            es.indices.create(index=new, **self._body())
            ops: list[Op] = []
            failed: list[tuple[str, str]] = []
            for hit in self._scan(old, {"match_all": {}}, source=True):
                notice = from_document(hit["_source"])
                doc = to_document(notice, carried_fields(hit["_source"]))
                ops.append(("created", notice.uid, {"index": {"_id": notice.uid}}, doc))
                if len(ops) >= self.settings.bulk_chunk_size:
                    failed += [(u, r) for u, _, r in self._bulk(ops, index=new) if r]
                    ops = []
            failed += [(u, r) for u, _, r in self._bulk(ops, index=new) if r]
            if failed:
                es.indices.delete(index=new)
                raise StoreError(f"migration to {new} aborted, {len(failed)} failed: {failed[:5]}")
            es.indices.refresh(index=new)
            es.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": self.alias}},
                    {"add": {"index": new, "alias": self.alias}},
                ]
            )
            es.indices.delete(index=old)
        return new

    def drop(self) -> None:
        """Delete every `<alias>-vN` index (tests, resets); the alias goes with them."""
        with self._guard("drop"):
            found = self.client.indices.get(
                index=f"{self.alias}-v*", expand_wildcards="all", allow_no_indices=True
            )
            names = [n for n in found.body if re.fullmatch(rf"{re.escape(self.alias)}-v\d+", n)]
            if names:
                self.client.indices.delete(index=",".join(names))
        self._ensured = False

    def _bulk(self, ops: list[Op], index: str | None = None) -> list[tuple[str, str, str | None]]:
        """Send `ops`; retry what got 429/5xx with exponential backoff. (uid, outcome, error)."""
        results: dict[int, str | None] = {}
        pending = list(range(len(ops)))
        attempt = 0
        last = ""
        while pending:
            body: list[dict[str, Any]] = []
            for i in pending:
                body.append(ops[i][2])
                payload = ops[i][3]
                if payload is not None:
                    body.append(payload)
            retry: list[int] = []
            items: list[dict[str, Any]] = []
            try:  # require_alias: never let a bulk auto-create an unmapped index
                response = self.client.bulk(
                    index=index or self.alias, operations=body, require_alias=index is None
                )
                items = response["items"]
            except ConnectionTimeout:  # every operation is idempotent: sending again is safe
                retry, last = pending, "bulk request timed out"
            except ApiError as exc:
                if exc.meta.status not in RETRY_STATUSES:
                    raise
                retry, last = pending, f"bulk request answered {exc.meta.status}"
            for i, item in zip(pending, items, strict=False):
                info = next(iter(item.values()))
                status = int(info.get("status", 500))
                if status < 300:
                    results[i] = None
                elif status in RETRY_STATUSES or status >= 500:
                    retry.append(i)
                    last = reason(info.get("error"))
                else:
                    results[i] = reason(info.get("error"))
            if retry and attempt >= self.settings.max_retries:
                for i in retry:
                    results[i] = f"gave up after {attempt + 1} attempts: {last}"
                retry = []
            if retry:
                self.sleep(min(30.0, 0.5 * 2**attempt))
                attempt += 1
            pending = retry
        return [(ops[i][1], ops[i][0], results.get(i)) for i in range(len(ops))]

    def _sources(self, uids: Sequence[str], **source: Any) -> dict[str, dict[str, Any]]:
        """Stored `_source` (restricted by includes/excludes) of each known uid."""
        found: dict[str, dict[str, Any]] = {}
        params = {f"source_{k}": v for k, v in source.items()}
        for chunk in batched(dict.fromkeys(uids), 1000):
            es = self._ready()
            with self._guard("get"):
                response = es.mget(index=self.alias, ids=chunk, **params)
            found.update(
                {d["_id"]: d.get("_source", {}) for d in response["docs"] if d.get("found")}
            )
        return found

    def _scan(
        self, index: str, query: dict[str, Any], source: Any, batch_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every hit of `query`, in uid order, page by page (search_after on uid)."""
        after: list[Any] | None = None
        while True:
            extra: dict[str, Any] = {"search_after": after} if after else {}
            with self._guard("scan"):
                response = self.client.search(
                    index=index,
                    query=query,
                    sort=[{"uid": "asc"}],
                    size=batch_size,
                    source=source,
                    track_total_hits=False,
                    **extra,
                )
            hits = response["hits"]["hits"]
            yield from hits
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]
