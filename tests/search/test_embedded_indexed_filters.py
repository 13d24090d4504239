"""The embedded store's département and CPV tables and its memory-mapped vector cache.

Both are derived data: the tables are kept by triggers from the notices' JSON lists, the cache
file from the `vectors` table. These tests check them against what they derive from, through
writes, overwrites, deletes, another store object on the same file, a damaged or stale cache and
a store file from before they existed. Notices and vectors are constructed for the tests.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from veilleuse.core.models import Notice, NoticeKind, Places
from veilleuse.search import embedded_sql as sql
from veilleuse.search import embedded_store as embedded_module
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters, Sort, SortKey
from veilleuse.search.vector_array import VectorCache

DEPARTMENTS = ["59", "62", "80", "2A", "971"]
CPV = ["77310000", "77311000", "90911200", "45233140", "55524000"]
DIM = 8


def notice(i: int, dept: str | None = None, cpv: str | None = None) -> Notice:
    return Notice(
        uid=f"boamp:{i:03d}",
        source="boamp" if i % 2 else "ted",
        native_id=str(i),
        kind=NoticeKind.TENDER,
        title=f"Avis {i} nettoyage",
        places=Places(departments=[dept or DEPARTMENTS[i % len(DEPARTMENTS)]]),
        cpv=[cpv or CPV[i % len(CPV)]],
    )


def unit_vectors(seed: int, n: int) -> np.ndarray:
    raw = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def vectors_for(indices: range, seed: int) -> dict[str, np.ndarray]:
    vectors = unit_vectors(seed, len(indices))
    return {f"boamp:{i:03d}": vectors[j] for j, i in enumerate(indices)}


def exact(store: EmbeddedStore, query: np.ndarray, filters: Filters | None, k: int) -> list[str]:
    """The reference ranking: every kept notice's vector read from SQLite, sorted in Python."""
    kept = [n.uid for n in store.iter_notices(filters)]
    vectors = store.get_vectors(kept)
    scored = sorted((-float(v @ query), uid) for uid, v in vectors.items())
    return [uid for _, uid in scored[:k]]


def assert_exact(store: EmbeddedStore, seed: int) -> None:
    for j, filters in enumerate(
        [None, Filters(departments=["59", "80"]), Filters(cpv_prefixes=["7731"], sources=["ted"])]
    ):
        query = unit_vectors(seed + j, 1)[0]
        expected = exact(store, query, filters, 7)
        assert expected  # not vacuous
        result = store.search_vector(query, filters, limit=7)
        assert result.uids() == expected
        kept = {n.uid for n in store.iter_notices(filters)}
        assert result.total == len(kept & set(store.get_vectors(sorted(kept))))


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "notices.sqlite3")
    s.write([notice(i) for i in range(40)])
    s.set_vectors({f"boamp:{i:03d}": v for i, v in enumerate(unit_vectors(1, 40))}, "m")
    return s


def list_rows(store: EmbeddedStore) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The tables' rows, and the rows the notices' JSON lists say they should hold."""
    conn = store.conn
    tables = {
        (name, value, rowid)
        for name in ("departements", "cpv")
        for value, rowid in conn.execute(
            f"SELECT {'dept' if name == 'departements' else 'cpv'}, notice_rowid FROM notice_{name}"
        )
    }
    lists = {
        (name, value, rowid)
        for name, column in (("departements", "departments"), ("cpv", "cpv"))
        for value, rowid in conn.execute(
            f"SELECT j.value, n.id FROM notices n, json_each(n.{column}) j"
        )
    }
    return tables, lists  # type: ignore[return-value]


def test_the_list_tables_follow_writes_overwrites_and_deletes(store: EmbeddedStore) -> None:
    tables, lists = list_rows(store)
    assert tables == lists and len(tables) == 80
    assert store.count(Filters(departments=["59"])) == 8
    assert store.count(Filters(cpv_prefixes=["7731"])) == 16
    store.write([notice(0, dept="2B", cpv="90911300")])  # was 59 and 77310000
    assert store.count(Filters(departments=["2B"])) == 1
    assert store.count(Filters(departments=["59"])) == 7
    assert store.count(Filters(cpv_prefixes=["9091"])) == 9
    assert store.count(Filters(cpv_prefixes=["773"])) == 15
    assert store.delete(["boamp:005", "boamp:010"]) == 2
    assert store.count(Filters(departments=["59"])) == 5
    tables, lists = list_rows(store)
    assert tables == lists and len(tables) == 76
    assert store.count(Filters(cpv_prefixes=[""])) == 38  # an empty prefix: every code


def test_vector_search_is_exact_through_appends_updates_and_deletes(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    assert_exact(store, 10)
    store.write([notice(i) for i in range(40, 60)])
    store.set_vectors(vectors_for(range(40, 60), 2), "m")
    assert_exact(store, 20)  # appended to the array file
    store.set_vectors(vectors_for(range(0, 60, 3), 3), "m")
    assert_exact(store, 30)  # patched in place
    store.delete(["boamp:001", "boamp:059"])
    assert_exact(store, 40)  # rebuilt into a new file, the old one removed
    assert len(list(tmp_path.glob("notices.sqlite3-vectors.*.f32"))) == 1


def test_another_store_object_on_the_file_sees_the_writes(store: EmbeddedStore) -> None:
    assert_exact(store, 50)
    other = EmbeddedStore(store.path)  # another process, as far as the cache can tell
    other.set_vectors(vectors_for(range(40), 4), "m")
    assert_exact(store, 60)
    other.delete(["boamp:002"])
    assert_exact(store, 70)
    assert_exact(other, 80)
    other.close()


def test_a_damaged_stale_or_foreign_cache_is_not_trusted(store: EmbeddedStore) -> None:
    folder = store.path.parent
    assert_exact(store, 90)
    index = folder / "notices.sqlite3-vectors.npz"
    (array,) = folder.glob("notices.sqlite3-vectors.*.f32")
    # a crash between the array and the index: the index is older than the array
    shutil.copy(index, folder / "old.npz")
    store.set_vectors(vectors_for(range(0, 40, 2), 5), "m")
    assert_exact(store, 100)
    shutil.copy(folder / "old.npz", index)
    assert_exact(EmbeddedStore(store.path), 110)
    # a truncated array, an unreadable index
    with array.open("r+b") as handle:
        handle.truncate(100)
    assert_exact(EmbeddedStore(store.path), 120)
    index.write_bytes(b"not an index")
    assert_exact(EmbeddedStore(store.path), 130)
    # another store file at the same path: its own vectors, not the cache's
    store.close()
    for path in folder.glob("notices.sqlite3*"):
        if not path.name.startswith("notices.sqlite3-vectors"):
            path.unlink()
    fresh = EmbeddedStore(store.path)
    fresh.write([notice(i) for i in range(40)])
    fresh.set_vectors({f"boamp:{i:03d}": v for i, v in enumerate(unit_vectors(6, 40))}, "m")
    assert_exact(fresh, 140)
    fresh.close()


def test_without_a_writable_folder_the_vectors_are_held_in_memory(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(VectorCache, "_refresh", refused)
    assert_exact(store, 160)
    store.set_vectors(vectors_for(range(0, 40, 4), 7), "m")
    assert_exact(store, 170)
    assert not list(store.path.parent.glob("notices.sqlite3-vectors*.f32"))
    store.delete([f"boamp:{i:03d}" for i in range(40)])
    assert store.search_vector(unit_vectors(8, 1)[0]).total == 0


def test_a_listing_sorted_from_the_narrow_index_gives_the_walked_pages(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two plans of a listing (walk the sort's index, or sort the kept notices) agree."""
    cases = [
        (Filters(departments=["59", "2A"]), Sort(key=SortKey.DEADLINE), 0),
        (Filters(sources=["ted"]), Sort(key=SortKey.PUBLISHED, descending=True), 5),
        (Filters(cpv_prefixes=["77"], kinds=[NoticeKind.TENDER]), Sort(key=SortKey.UPDATED), 3),
    ]

    def pages() -> list[tuple[int, list[str]]]:
        return [
            (r.total, r.uids())
            for f, sort, offset in cases
            for r in [store.search_text("", f, limit=4, offset=offset, sort=sort)]
        ]

    walked = pages()
    assert all(uids for _, uids in walked)
    monkeypatch.setattr(embedded_module, "_WALK_MAX", 0)
    assert pages() == walked


def downgrade(path: Path) -> None:
    """Make a current store file look like one written before schema version 1."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        DROP TRIGGER IF EXISTS notices_lists_insert; DROP TRIGGER IF EXISTS notices_lists_update;
        DROP TRIGGER notices_lists_delete; DROP TRIGGER vectors_removed;
        DROP TABLE notice_departements; DROP TABLE notice_cpv; DROP TABLE store_meta;
        DROP INDEX vectors_generation; ALTER TABLE vectors DROP COLUMN generation;
        PRAGMA user_version = 0;
        """
    )
    conn.close()
    for cache in path.parent.glob(f"{path.name}-vectors*"):
        cache.unlink()


def test_a_store_from_before_the_tables_is_migrated_in_place(store: EmbeddedStore) -> None:
    store.close()
    downgrade(store.path)
    old = sqlite3.connect(store.path)
    assert "notice_cpv" not in {r[0] for r in old.execute("SELECT name FROM sqlite_master")}
    old.close()
    reopened = EmbeddedStore(store.path)
    tables, lists = list_rows(reopened)
    assert tables == lists and len(tables) == 80
    assert reopened.conn.execute("PRAGMA user_version").fetchone()[0] == sql.SCHEMA_VERSION
    assert_exact(reopened, 150)
    reopened.write([notice(0, dept="2B")])  # the triggers exist
    assert reopened.count(Filters(departments=["2B"])) == 1
    assert sql.migrate(reopened.conn) == []  # nothing left to do
    reopened.close()
