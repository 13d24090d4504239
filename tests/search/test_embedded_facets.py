"""The embedded store counts facets in SQL: the same counts, in the same order, as the Python
counting it replaced, on a varied seeded corpus (kept below as the reference).

The corpus covers what the SQL must get right: deadlines on both sides of each bucket boundary
(UTC instants just before and at midnight, bare days, which are stored at their last second in
Paris), three-valued flags, notices listing a département twice (places and buyer), several
CPV codes of one division, repeated audiences, and words found by every-word, any-word or no
match at all.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from veilleuse.core.models import Buyer, Lot, Notice, NoticeKind, NoticeStatus, Places
from veilleuse.search import embedded_sql as sql
from veilleuse.search import embedded_store as embedded_module
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.french_text import match_expression, query_clauses, relaxations
from veilleuse.search.store import FACET_FIELDS, Filters, deadline_bucket, flag_label

#: 23:30 UTC on the last Saturday of March: Paris is already the next day, and changes its
#: offset that night (bare-day deadlines are stored at their last second in Paris)
NOW = datetime(2027, 3, 27, 23, 30, tzinfo=UTC)
TODAY = NOW.date()

WORDS = ["nettoyage", "espaces", "verts", "collège", "restauration", "insertion", "voirie"]
DEPARTMENTS = ["59", "62", "80", "2A", "971"]
CPV = ["77310000", "77311000", "90911200", "90911300", "55524000", "45233140", "79952000"]
AUDIENCES = ["associations", "local_authorities", "companies"]
FLAGS = [None, True, False]


def reference_facets(
    store: EmbeddedStore, filters: Filters | None, query: str | None
) -> dict[str, dict[str, int]]:
    """The Python counting the embedded store did before it counted in SQL: every matching row
    fetched, each facet counted with a Counter (every word, else any word, as text search)."""
    where, params = sql.where(filters)
    columns = (
        "n.source, n.kind, n.status, n.reserved, n.social_clause, n.deadline_at, "
        "n.departments, n.cpv, n.audiences"
    )
    sql_text = f"SELECT {columns} FROM notices n WHERE {where}"
    args: tuple[Any, ...] = tuple(params)
    clauses = query_clauses(query or "")
    if clauses:
        match = None
        for need in relaxations(len(clauses)):
            candidate = match_expression(clauses, need)
            (total,) = store.conn.execute(
                "SELECT count(*) FROM notices_fr JOIN notices n ON n.id = notices_fr.rowid "
                f"WHERE notices_fr MATCH ? AND {where}",
                (candidate, *params),
            ).fetchone()
            if total:
                match = candidate
                break
        if match is None:
            return {name: {} for name in FACET_FIELDS}
        sql_text = (
            f"SELECT {columns} FROM notices_fr JOIN notices n ON n.id = notices_fr.rowid "
            f"WHERE notices_fr MATCH ? AND {where}"
        )
        args = (match, *params)
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    today = embedded_module._now().date()
    for (
        source,
        kind,
        status,
        reserved,
        social,
        deadline_at,
        deps,
        cpvs,
        audiences,
    ) in store.conn.execute(sql_text, args).fetchall():
        counts["source"][source] += 1
        counts["kind"][kind] += 1
        counts["status"][status] += 1
        counts["reserved"][flag_label(None if reserved is None else bool(reserved))] += 1
        counts["social_clause"][flag_label(None if social is None else bool(social))] += 1
        deadline = datetime.fromisoformat(deadline_at) if deadline_at else None
        counts["deadline"][deadline_bucket(deadline, today)] += 1
        for dep in set(json.loads(deps)):
            counts["department"][dep] += 1
        for division in {c[:2] for c in json.loads(cpvs)}:
            counts["cpv_division"][division] += 1
        for audience in set(json.loads(audiences)):
            counts["audience"][audience] += 1
    return {
        name: dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
        for name, counter in counts.items()
    }


def _deadline(rng: random.Random, i: int) -> date | datetime | None:
    """Every few notices a deadline on a bucket boundary, otherwise anywhere around today."""
    boundaries = [-1, 0, 7, 8, 30, 31]
    shape = i % 6
    if shape == 0:
        return None
    if shape in (1, 2):  # a UTC instant one second before, or exactly at, a day's start
        day = TODAY + timedelta(days=rng.choice(boundaries))
        start = datetime.combine(day, time(0), UTC)
        return start - timedelta(seconds=1) if shape == 1 else start
    if shape == 3:  # a bare day near a boundary (stored at 23:59:59 Paris)
        return TODAY + timedelta(days=rng.choice(boundaries) + rng.choice((-1, 0, 1)))
    moment = datetime.combine(TODAY, time(0), UTC) + timedelta(
        days=rng.randint(-45, 75), minutes=rng.randint(0, 24 * 60 - 1)
    )
    return moment if shape == 4 else moment.date()


def varied_corpus(count: int = 240, seed: int = 20270327) -> list[Notice]:
    rng = random.Random(seed)
    notices = []
    for i in range(count):
        source = rng.choice(["boamp", "ted", "aides-territoires", "marches-securises"])
        deps = rng.sample(DEPARTMENTS, rng.randint(0, 3))
        buyer_dep = rng.choice([None, *DEPARTMENTS])  # often one of `deps` already
        title_words = rng.sample(WORDS, rng.randint(1, 3))
        lots = [
            Lot(id=str(k), title=rng.choice(WORDS), cpv=rng.sample(CPV, rng.randint(0, 2)))
            for k in range(rng.randint(0, 2))
        ]
        notices.append(
            Notice.model_validate(
                {
                    "uid": f"{source}:{i}",
                    "source": source,
                    "native_id": str(i),
                    "kind": rng.choice(list(NoticeKind)),
                    "status": rng.choice(list(NoticeStatus)),
                    "title": " ".join(title_words),
                    "description": f"avis {i} " + " ".join(rng.sample(WORDS, 2)),
                    "buyer": Buyer(name=f"Acheteur {i % 7}", department=buyer_dep),
                    "places": Places(departments=deps),
                    "cpv": rng.sample(CPV, rng.randint(0, 3)),
                    "lots": lots,
                    "deadline": _deadline(rng, i),
                    "reserved": rng.choice(FLAGS),
                    "social_clause": rng.choice(FLAGS),
                    "audiences": [rng.choice(AUDIENCES) for _ in range(rng.randint(0, 3))],
                }
            ).with_hash()
        )
    return notices


@pytest.fixture
def varied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedStore]:
    monkeypatch.setattr(embedded_module, "_now", lambda: NOW)
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    report = store.write(varied_corpus())
    assert not report.failed and len(report.created) == 240
    yield store
    store.close()


CASES: list[tuple[Filters | None, str | None]] = [
    (None, None),
    (None, ""),
    (None, "nettoyage"),
    (None, "espaces verts"),
    (None, "collège restauration voirie"),  # few or no notice has all three: any word
    (None, "introuvable"),  # no notice at all
    (None, "nett"),  # prefix of the last word
    (Filters(kinds=[NoticeKind.TENDER]), "nettoyage"),
    (Filters(departments=["59", "2A"]), None),
    (Filters(departments=["62"], kinds=[NoticeKind.FUNDING_CALL]), "insertion"),
    (Filters(cpv_prefixes=["77"]), None),
    (Filters(cpv_prefixes=["9091", "55"]), "restauration"),
    (Filters(reserved=True), None),
    (Filters(social_clause=False), "verts"),
    (Filters(statuses=[NoticeStatus.OPEN, NoticeStatus.CORRECTED]), None),
    (Filters(audiences=["associations"]), None),
    (Filters(deadline_from=TODAY, deadline_to=TODAY + timedelta(days=30)), None),
    (Filters(deadline_from=TODAY), "collège"),
    (Filters(sources=["ted"], buyer="acheteur 3"), None),
    (Filters(uids=["boamp:1", "ted:2", "ted:5", "aides-territoires:3"]), None),
    (Filters(uids=[f"boamp:{i}" for i in range(60)]), "espaces"),
]


@pytest.mark.parametrize(("filters", "query"), CASES)
def test_sql_facets_equal_the_python_counting(
    varied: EmbeddedStore, filters: Filters | None, query: str | None
) -> None:
    expected = reference_facets(varied, filters, query)
    got = varied.facets(filters, query)
    assert got == expected
    assert list(got) == list(FACET_FIELDS)
    for name in FACET_FIELDS:  # the same order, not only the same counts
        assert list(got[name].items()) == list(expected[name].items())


def test_the_varied_corpus_reaches_every_bucket(varied: EmbeddedStore) -> None:
    """Not vacuous: every bucket of every facet with a fixed set of values is counted, and a
    département or an audience listed twice by one notice exists."""
    counts = varied.facets()
    assert set(counts["deadline"]) == {"none", "past", "week", "month", "later"}
    assert set(counts["reserved"]) == set(counts["social_clause"]) == {"true", "false", "unknown"}
    assert set(counts["status"]) == {s.value for s in NoticeStatus}
    assert set(counts["cpv_division"]) == {"77", "90", "55", "45", "79"}
    corpus = varied_corpus()
    assert any(len(n.audiences) > len(set(n.audiences)) for n in corpus)
    assert any(n.buyer.department in n.places.departments for n in corpus)
    assert any(len({c[:2] for c in n.all_cpv()}) < len(n.all_cpv()) for n in corpus)
    with_words = [varied.facets(None, q) for q in ("collège restauration voirie", "introuvable")]
    assert sum(with_words[0]["kind"].values()) > 0
    assert with_words[1] == {name: {} for name in FACET_FIELDS}


@pytest.mark.parametrize("days", range(-3, 35))
def test_deadline_buckets_agree_with_the_rule_on_each_side_of_midnight(
    varied: EmbeddedStore, days: int
) -> None:
    """The SQL bucket of an instant at the start and at the end of each UTC day is
    `deadline_bucket`'s."""
    day = TODAY + timedelta(days=days)
    for moment in (datetime.combine(day, time(0), UTC), datetime.combine(day, time.max, UTC)):
        case, params = sql._deadline_case("deadline_at", TODAY)
        (bucket,) = varied.conn.execute(
            f"WITH x(deadline_at) AS (VALUES (?)) SELECT {case} FROM x",
            [sql.iso_utc(moment), *params],
        ).fetchone()
        assert bucket == deadline_bucket(moment, TODAY)


ODD = ['é"x', "a\\b", "ü", "2A"]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(departments=["59"]),
        Filters(departments=["2A", "971", 'é"x']),
        Filters(departments=["a\\b"]),
        Filters(audiences=["associations", "ü"]),
        Filters(audiences=['é"x']),
        Filters(cpv_prefixes=["7731"]),
        Filters(cpv_prefixes=["9", "55524000"]),
        Filters(cpv_prefixes=['é"', "a\\"]),
        Filters(cpv_prefixes=[""]),
        Filters(departments=["62"], cpv_prefixes=["45"], audiences=["companies"]),
    ],
)
def test_list_filters_keep_exactly_the_notices_listing_a_value(
    varied: EmbeddedStore, filters: Filters
) -> None:
    """The quick text test before json_each in `where` never drops a matching notice, even
    for values that JSON escapes."""
    odd = [
        notice.model_copy(
            update={
                "uid": f"odd:{i}",
                "places": Places(departments=[value, "59"]),
                "audiences": [value],
                "cpv": [value + "1", "77310000"],
            }
        ).with_hash()
        for i, (notice, value) in enumerate(zip(varied_corpus()[:4], ODD, strict=True))
    ]
    varied.write(odd)
    corpus = {n.uid: n for n in [*varied_corpus(), *odd]}

    def keeps(n: Notice) -> bool:
        return (
            (not filters.departments or bool(set(filters.departments) & set(n.all_departments())))
            and (not filters.audiences or bool(set(filters.audiences) & set(n.audiences)))
            and (
                not filters.cpv_prefixes
                or any(c.startswith(p) for c in n.all_cpv() for p in filters.cpv_prefixes)
            )
        )

    expected = {uid for uid, n in corpus.items() if keeps(n)}
    assert expected  # not vacuous
    assert {n.uid for n in varied.iter_notices(filters)} == expected
    assert varied.count(filters) == len(expected)


def test_a_text_match_drives_and_notices_are_read_from_the_narrow_index(
    varied: EmbeddedStore,
) -> None:
    """The plans the speed depends on: the match first, then each notice from the narrow index
    (left to itself SQLite walked the kind index and tested the match on every row), and a
    filtered scan of the narrow index rather than of the table and its documents."""
    filters = Filters(kinds=[NoticeKind.TENDER], departments=["59"])
    where, params = sql.where(filters)

    def plan(statement: str, args: list[Any]) -> list[str]:
        return [row[3] for row in varied.conn.execute(f"EXPLAIN QUERY PLAN {statement}", args)]

    text = plan(
        f"SELECT count(*) FROM {sql.text_from(filters)} WHERE notices_fr MATCH ? AND {where}",
        ['"nettoyag"', *params],
    )
    assert text[0].startswith("SCAN notices_fr")
    assert text[1].startswith(f"SEARCH n USING COVERING INDEX {sql.NARROW}")
    listing = plan(f"SELECT count(*) FROM {sql.notices_from(filters)} WHERE {where}", params)
    # the département's notices come from its table's index, each then read from the narrow one
    assert listing[0].startswith(f"SEARCH n USING COVERING INDEX {sql.NARROW} (id=?")
    assert any("notice_departements" in step for step in listing[1:])
    open_only = Filters(kinds=[NoticeKind.TENDER])
    where, params = sql.where(open_only)
    listing = plan(f"SELECT count(*) FROM {sql.notices_from(open_only)} WHERE {where}", params)
    assert listing[0] == f"SCAN n USING COVERING INDEX {sql.NARROW}"
