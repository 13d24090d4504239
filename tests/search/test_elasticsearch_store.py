"""Elasticsearch-specific behaviour of the notice store (the shared contract is in
test_store_contract.py).

Tests marked `elasticsearch` run against the real node named by VEILLEUSE_TEST_ES_URL
(`scripts/elasticsearch.sh start` prints it); without it they skip, or fail when CI is set. Bulk
retries go through a small HTTP proxy on 127.0.0.1 that answers 429 in front of that real node.
The notices are constructed for these tests (not real data). The tests without a mark are pure
(mappings, query translation) and need no server.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from veilleuse.config.settings import StoreSettings
from veilleuse.core.errors import StoreError, StoreUnavailableError
from veilleuse.core.models import Lot, Notice, NoticeKind, Places
from veilleuse.search import es_query
from veilleuse.search.elasticsearch_store import ElasticsearchStore
from veilleuse.search.es_mapping import FRENCH_ANALYZER, index_body, index_mappings
from veilleuse.search.store import Filters, reciprocal_rank_fusion

DIM = 4
TODAY = datetime.now(UTC).date()
needs_es = [pytest.mark.elasticsearch, pytest.mark.integration]


def vec(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def notice(uid: str, title: str, **kw: Any) -> Notice:
    source, native = uid.split(":", 1)
    data: dict[str, Any] = {"uid": uid, "source": source, "native_id": native, "kind": "tender"}
    return Notice.model_validate({**data, "title": title, **kw}).with_hash()


@pytest.fixture
def es_url() -> str:
    url = os.environ.get("VEILLEUSE_TEST_ES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("VEILLEUSE_TEST_ES_URL is not set: CI must start Elasticsearch (make es-start)")
    pytest.skip(
        "no Elasticsearch server: run scripts/elasticsearch.sh start, export VEILLEUSE_TEST_ES_URL"
    )


def make_store(url: str, **settings: Any) -> ElasticsearchStore:
    store = ElasticsearchStore(
        StoreSettings(url=url, **settings),  # type: ignore[call-arg]
        index_alias=f"test-es-{uuid.uuid4().hex[:10]}",
        dimension=DIM,
    )
    store.sleep = lambda _seconds: None
    return store


@pytest.fixture
def store(es_url: str) -> Iterator[ElasticsearchStore]:
    es = make_store(es_url)
    try:
        yield es
    finally:
        es.drop()
        es.close()


# --------------------------------------------------------------------------- a 429 proxy


class RejectingProxy:
    """Forwards to the real node; answers 429 to the first `reject` bulk requests.

    mode "request": the whole bulk request gets 429. mode "item": the bulk is forwarded and the
    first item of the answer is rewritten to a 429 rejection (as a full write queue does).
    """

    def __init__(self, upstream: str, reject: int, mode: str = "request") -> None:
        self.upstream, self.reject, self.mode = upstream.rstrip("/"), reject, mode
        self.bulk_calls = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                is_bulk = self.path.split("?")[0].endswith("/_bulk")
                rejecting = False
                if is_bulk:
                    proxy.bulk_calls += 1
                    rejecting = proxy.bulk_calls <= proxy.reject
                if rejecting and proxy.mode == "request":
                    error = {"type": "es_rejected_execution_exception", "reason": "proxy says no"}
                    self._send(429, json.dumps({"error": error, "status": 429}).encode(), {})
                    return
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=body,
                    method=self.command,
                    headers={
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("content-type", "accept")
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, data, headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, data, headers = error.code, error.read(), error.headers
                if rejecting and proxy.mode == "item":
                    parsed = json.loads(data)
                    op = next(iter(parsed["items"][0]))
                    parsed["items"][0][op].update(
                        status=429,
                        error={"type": "es_rejected_execution_exception", "reason": "queue full"},
                    )
                    parsed["errors"] = True
                    data = json.dumps(parsed).encode()
                self._send(
                    status, data, {"X-Elastic-Product": headers.get("X-Elastic-Product", "")}
                )

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/vnd.elasticsearch+json; compatible-with=8"
                )
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    if value:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RejectingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- pure (no server)


def test_construction_is_lazy_and_touches_no_network() -> None:
    store = ElasticsearchStore(StoreSettings(url="http://127.0.0.1:1"), index_alias="x")  # type: ignore[call-arg]
    assert store._client is None
    store.close()


def test_mapping_is_derived_from_the_model() -> None:
    mapping = index_mappings("standard", 384)
    props = mapping["properties"]
    assert mapping["dynamic"] is False
    assert set(Notice.model_fields) - {"raw"} <= set(props)
    assert props["lots"]["type"] == "nested"
    assert props["lots"]["properties"]["title"] == {"type": "text", "analyzer": "standard"}
    assert props["title"]["type"] == "text" and props["kind"]["type"] == "keyword"
    assert props["deadline"]["type"] == "keyword"  # the deadline as given
    assert props["search"]["properties"]["deadline_at"] == {"type": "date"}
    vector = props["search"]["properties"]["vector"]
    assert (vector["dims"], vector["index"], vector["similarity"]) == (384, True, "cosine")


def test_french_analyzer_is_defined_only_when_asked() -> None:
    french = index_body(FRENCH_ANALYZER, 8)
    chain = french["settings"]["analysis"]["analyzer"][FRENCH_ANALYZER]["filter"]
    assert chain == [
        "veilleuse_french_elision",
        "lowercase",
        "asciifolding",
        "veilleuse_french_stemmer",
    ]
    assert french["mappings"]["properties"]["description"]["analyzer"] == FRENCH_ANALYZER
    assert "analysis" not in index_body("standard", 8)["settings"]


def test_filters_translate_to_bool_filters() -> None:
    filters = Filters(
        kinds=[NoticeKind.TENDER],
        departments=["59"],
        cpv_prefixes=["9091"],
        reserved=False,
        deadline_from=date(2030, 1, 1),
        deadline_to=date(2030, 1, 31),
    )
    clauses = es_query.filter_clauses(filters)
    assert {"terms": {"kind": ["tender"]}} in clauses
    assert {"terms": {"search.departments": ["59"]}} in clauses
    assert {"term": {"reserved": False}} in clauses
    assert {
        "bool": {"should": [{"prefix": {"search.cpv": "9091"}}], "minimum_should_match": 1}
    } in clauses
    bounds = {"gte": "2030-01-01T00:00:00+00:00", "lte": "2030-01-31T23:59:59+00:00"}
    assert {"range": {"search.deadline_at": bounds}} in clauses
    assert es_query.filter_query(None) == {"match_all": {}}


def test_knn_clause_filters_inside_the_graph_search() -> None:
    clause = es_query.knn_clause(vec(1, 0, 0, 0), Filters(sources=["ted"]), k=5)
    assert clause["filter"] == [{"terms": {"source": ["ted"]}}]
    assert clause["k"] == 5 and clause["num_candidates"] >= 5
    assert es_query.text_query("  ,; ") is None


# --------------------------------------------------------------------------- real server


def test_unreachable_server_names_url_and_what_to_check() -> None:
    # nothing listens on port 1: the error comes from the real client, no server needed
    store = ElasticsearchStore(StoreSettings(url="http://elastic:secret@127.0.0.1:1"))  # type: ignore[call-arg]
    with pytest.raises(StoreUnavailableError) as caught:
        store.count()
    message = str(caught.value)
    assert "http://127.0.0.1:1" in message and "make es-start" in message
    assert "secret" not in message
    store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_first_use_creates_versioned_index_behind_alias(store: ElasticsearchStore) -> None:
    assert not store.client.indices.exists_alias(name=store.alias)
    assert store.count() == 0
    assert store.current_index() == f"{store.alias}-v1"
    mapping = store.client.indices.get_mapping(index=store.alias)[f"{store.alias}-v1"]["mappings"]
    assert mapping["properties"]["lots"]["type"] == "nested"


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_migrate_keeps_data_and_swaps_alias(store: ElasticsearchStore) -> None:
    notices = [notice("boamp:1", "Entretien des espaces verts"), notice("boamp:2", "Nettoyage")]
    store.write(notices)
    store.set_vectors({"boamp:1": vec(1, 0, 0, 0)}, model="m")
    before = store.get("boamp:1")
    assert store.migrate() == f"{store.alias}-v2"
    assert store.current_index() == f"{store.alias}-v2"
    assert not store.client.indices.exists(index=f"{store.alias}-v1")
    assert store.count() == 2
    assert store.get("boamp:1") == before
    assert store.uids_without_vector("m") == ["boamp:2"]
    assert store.search_text("espaces").uids() == ["boamp:1"]
    assert store.search_vector(vec(1, 0, 0, 0), limit=1).uids() == ["boamp:1"]
    assert store.migrate() == f"{store.alias}-v3"


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_index_of_an_older_mapping_is_refused_until_migrated(
    store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veilleuse.search import es_mapping
    from veilleuse.search.store import Sort, SortKey

    with monkeypatch.context() as patch:  # an index made by the previous version
        patch.setattr(es_mapping, "MAPPING_VERSION", 1)
        old = store.ensure_index()
    first_seen = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    doc = es_mapping.to_document(
        notice("boamp:1", "Entretien des espaces verts", first_seen=first_seen)
    )
    del doc["search"]["updated_at"]  # version 1 documents have none
    store.client.index(index=old, id="boamp:1", document=doc, refresh=True)
    store._ensured = False
    with pytest.raises(StoreError, match="veilleuse index migrate"):
        store.count()
    assert store.migrate() == f"{store.alias}-v2"
    assert store.mapping_version(store.current_index() or "") == es_mapping.MAPPING_VERSION
    listing = store.search_text(
        "", Filters(updated_since=first_seen), sort=Sort(key=SortKey.UPDATED)
    )
    assert listing.uids() == ["boamp:1"] and listing.hits[0].updated_at == first_seen


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_rewrite_refreshes_last_seen_and_keeps_first_seen(store: ElasticsearchStore) -> None:
    original = notice("boamp:1", "Entretien des espaces verts")
    assert store.write([original]).created == ["boamp:1"]
    first = store.get("boamp:1")
    assert first is not None and first.first_seen is not None and first.last_seen is not None
    again = store.write([original])
    assert again.unchanged == ["boamp:1"] and again.created == again.updated == []
    second = store.get("boamp:1")
    assert second is not None and second.last_seen is not None
    assert second.first_seen == first.first_seen and second.last_seen > first.last_seen
    changed = original.model_copy(update={"title": "Entretien (modifié)"}).with_hash()
    assert store.write([changed]).updated == ["boamp:1"]
    third = store.get("boamp:1")
    assert (
        third is not None
        and third.first_seen == first.first_seen
        and third.title.endswith("(modifié)")
    )


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_writes_in_chunks_and_reports_every_notice(es_url: str) -> None:
    with RejectingProxy(es_url, reject=0) as proxy:
        store = make_store(proxy.url, bulk_chunk_size=2)
        try:
            report = store.write(notice(f"x:{i}", f"Avis {i}") for i in range(5))
            assert sorted(report.created) == [f"x:{i}" for i in range(5)]
            assert proxy.bulk_calls == 3
        finally:
            store.drop()
            store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
@pytest.mark.parametrize("mode", ["request", "item"])
def test_bulk_is_retried_with_backoff_on_429(es_url: str, mode: str) -> None:
    with RejectingProxy(es_url, reject=1, mode=mode) as proxy:
        store = make_store(proxy.url)
        waits: list[float] = []
        store.sleep = waits.append
        try:
            report = store.write([notice("x:1", "Premier"), notice("x:2", "Second")])
            assert sorted(report.created) == ["x:1", "x:2"] and report.failed == []
            assert waits == [0.5]
            assert proxy.bulk_calls == 2
            assert store.count() == 2
        finally:
            store.drop()
            store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_bulk_gives_up_after_max_retries_and_reports(es_url: str) -> None:
    with RejectingProxy(es_url, reject=100) as proxy:
        store = make_store(proxy.url, max_retries=2)
        waits: list[float] = []
        store.sleep = waits.append
        try:
            report = store.write([notice("x:1", "Premier")])
            assert report.created == []
            assert [uid for uid, _ in report.failed] == ["x:1"]
            assert "429" in report.failed[0][1] and "3 attempts" in report.failed[0][1]
            assert waits == [0.5, 1.0]
        finally:
            store.drop()
            store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_document_rejected_by_mapping_is_reported_others_written(store: ElasticsearchStore) -> None:
    good = notice("boamp:1", "Entretien des espaces verts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns when serialising the unvalidated date
        bad = Notice.model_construct(
            **{**dict(good), "uid": "boamp:2", "published": "pas une date"}
        )
        report = store.write([good, bad])
    assert report.created == ["boamp:1"]
    assert [uid for uid, _ in report.failed] == ["boamp:2"]
    assert "published" in report.failed[0][1]
    assert store.count() == 1


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_knn_with_filters_and_cosine_scores(store: ElasticsearchStore) -> None:
    store.write(
        [
            notice("boamp:1", "A", places=Places(departments=["59"])),
            notice("boamp:2", "B", places=Places(departments=["62"])),
            notice("ted:3", "C", places=Places(departments=["59"])),
        ]
    )
    store.set_vectors(
        {"boamp:1": vec(1, 0, 0, 0), "boamp:2": vec(1, 0.1, 0, 0), "ted:3": vec(0, 1, 0, 0)},
        model="m",
    )
    result = store.search_vector(vec(1, 0.1, 0, 0), Filters(departments=["59"]), limit=5)
    assert result.uids() == ["boamp:1", "ted:3"]
    assert result.total == 2
    assert result.hits[0].score == pytest.approx(
        float(vec(1, 0.1, 0, 0) @ vec(1, 0, 0, 0)), abs=1e-4
    )
    assert result.hits[1].score == pytest.approx(
        float(vec(1, 0.1, 0, 0) @ vec(0, 1, 0, 0)), abs=1e-4
    )
    got = store.get_vectors(["boamp:2", "nope:1"])
    assert list(got) == ["boamp:2"] and np.allclose(got["boamp:2"], vec(1, 0.1, 0, 0))


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_hybrid_scores_are_rrf_of_both_rankings(store: ElasticsearchStore) -> None:
    store.write(
        [
            notice("a:1", "Nettoyage des bureaux"),
            notice("a:2", "Nettoyage des vitres et des bureaux"),
            notice("a:3", "Festival de musique"),
        ]
    )
    store.set_vectors(
        {"a:1": vec(0, 0, 1, 0), "a:2": vec(1, 0, 0, 0), "a:3": vec(1, 0.2, 0, 0)}, "m"
    )
    text = store.search_text("bureaux", limit=50).uids()
    vector = store.search_vector(vec(1, 0, 0, 0), limit=50).uids()
    expected = reciprocal_rank_fusion([text, vector])
    result = store.search_hybrid("bureaux", vec(1, 0, 0, 0), limit=3)
    assert [(h.notice.uid, h.score) for h in result.hits] == expected
    assert result.uids()[0] == "a:2"  # second in text, first in vector
    assert any("<mark>" in h for h in result.hits[0].highlights)


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_deadline_facet_buckets_match_the_shared_rule(store: ElasticsearchStore) -> None:
    late_evening = datetime.combine(TODAY + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    deadlines: dict[str, Any] = {
        "d:past": TODAY - timedelta(days=1),
        "d:today": TODAY,
        "d:week": late_evening.replace(hour=22),
        "d:month1": TODAY + timedelta(days=8),
        "d:month2": TODAY + timedelta(days=30),
        "d:later": TODAY + timedelta(days=31),
        "d:none": None,
    }
    store.write(
        notice(uid, "Avis", deadline=d, reserved=(uid == "d:today"), cpv=["45000000", "45210000"])
        for uid, d in deadlines.items()
    )
    facets = store.facets()
    assert facets["deadline"] == {"month": 2, "week": 2, "later": 1, "none": 1, "past": 1}
    assert facets["cpv_division"] == {"45": 7}
    assert facets["reserved"] == {"false": 6, "true": 1}
    assert store.facets(query="avis", filters=Filters(uids=["d:none"]))["deadline"] == {"none": 1}


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_highlights_mark_the_words_in_title_and_description(store: ElasticsearchStore) -> None:
    store.write(
        [notice("a:1", "Festival de musique", description="Un festival solidaire en plein air.")]
    )
    hit = store.search_text("festiv").hits[0]
    assert hit.highlights == [
        "<mark>Festival</mark> de musique",
        "Un <mark>festival</mark> solidaire en plein air.",
    ]
    assert hit.score > 0


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_nested_lot_text_finds_and_ranks_the_notice(store: ElasticsearchStore) -> None:
    lots = [
        Lot(id="1", title="Peinture", description="Travaux de peinture intérieure"),
        Lot(id="2", title="Menuiserie", description="Remplacement des fenêtres", cpv=["45421000"]),
    ]
    store.write(
        [
            notice("a:1", "Réhabilitation du groupe scolaire", lots=lots),
            notice("a:2", "Achat de fenêtres", description="Fourniture seule, sans pose."),
            notice("a:3", "Entretien des espaces verts"),
        ]
    )
    assert store.search_text("fenêtres").uids() == ["a:2", "a:1"]  # title^3 above lot text
    assert set(store.search_text("FENETRES").uids()) == {"a:1", "a:2"}
    assert store.search_text("menuiserie").uids() == ["a:1"]
    assert store.count(Filters(cpv_prefixes=["4542"])) == 1


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_iterates_in_pages_and_deletes(store: ElasticsearchStore) -> None:
    store.write(notice(f"p:{i:02d}", f"Avis {i}") for i in range(12))
    uids = [n.uid for n in store.iter_notices(batch_size=5)]
    assert uids == [f"p:{i:02d}" for i in range(12)]
    assert store.delete(["p:00", "p:00", "p:99"]) == 1
    assert store.count() == 11


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_drop_removes_every_version(es_url: str) -> None:
    store = make_store(es_url)
    store.write([notice("a:1", "Avis")])
    store.migrate()
    store.drop()
    assert not store.client.indices.exists_alias(name=store.alias)
    assert not store.client.indices.exists(index=f"{store.alias}-v*", allow_no_indices=False)
    store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_french_analyzer_folds_and_stems_or_says_what_is_missing(es_url: str) -> None:
    store = make_store(es_url, text_analyzer=FRENCH_ANALYZER)
    try:
        try:
            store.ensure_index()
        except StoreError as error:  # the test distribution has no analysis-common module
            assert "analysis-common" in str(error) and "TEXT_ANALYZER=standard" in str(error)
            return
        store.write([notice("a:1", "Restauration des collèges", description="L'école")])
        assert store.search_text("college").uids() == ["a:1"]
        assert store.search_text("ecole").uids() == ["a:1"]
    finally:
        store.drop()
        store.close()


# --------------------------------------------------------------------------- one-pass writes


class CountingEmbedder:
    """Texts → a unit vector from their length (deterministic); counts the texts it embeds."""

    name = "count-model"
    dimension = DIM

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        return np.asarray([vec(1.0, len(t) % 7 + 1.0, 0.5, 0.25) for t in texts], np.float32)


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_one_pass_write_spans_chunks_with_a_repeated_uid(es_url: str) -> None:
    """The next chunk is planned while the previous one is in flight; a uid written twice in
    one call still ends as its last version, counted once created and once updated."""
    store = make_store(es_url, bulk_chunk_size=2)
    try:
        first = [notice(f"boamp:{i}", f"Avis numéro {i}") for i in range(5)]
        again = notice("boamp:1", "Avis numéro 1, corrigé")
        embedder = CountingEmbedder()
        report = store.write([*first, again], embedder=embedder)
        assert sorted(report.created) == [f"boamp:{i}" for i in range(5)]
        assert report.updated == ["boamp:1"] and report.failed == []
        assert store.get("boamp:1").title == "Avis numéro 1, corrigé"  # type: ignore[union-attr]
        assert store.uids_without_vector(embedder.name) == []
        assert embedder.calls == 6
    finally:
        store.drop()
        store.close()


@pytest.mark.elasticsearch
@pytest.mark.integration
def test_one_pass_write_attaches_a_vector_to_an_unchanged_notice_without_one(
    store: ElasticsearchStore,
) -> None:
    store.write([notice("boamp:1", "Nettoyage"), notice("boamp:2", "Espaces verts")])
    store.set_vectors({"boamp:2": vec(1, 0, 0, 0)}, model="count-model")
    embedder = CountingEmbedder()
    report = store.write(
        [notice("boamp:1", "Nettoyage"), notice("boamp:2", "Espaces verts")], embedder=embedder
    )
    assert sorted(report.unchanged) == ["boamp:1", "boamp:2"]
    assert embedder.calls == 1  # boamp:2's vector is current: only boamp:1 is embedded
    assert store.uids_without_vector("count-model") == []
    assert np.allclose(store.get_vectors(["boamp:2"])["boamp:2"], vec(1, 0, 0, 0))


def test_knn_prefilters_and_rescores_with_float_vectors() -> None:
    clause = es_query.knn_clause(vec(1, 0, 0, 0), Filters(departments=["59"]), 20)
    assert clause["filter"] == [{"terms": {"search.departments": ["59"]}}]
    assert clause["num_candidates"] >= 100 and clause["k"] == 20
    assert clause["rescore_vector"]["oversample"] >= 1
    mapping = index_mappings("standard", 384)["properties"]["search"]["properties"]["vector"]
    assert mapping["index_options"]["type"] == "int8_hnsw"
