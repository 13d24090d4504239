"""The embedded store's vectors as one contiguous float32 array, memory-mapped from a cache file.

Decoding 100 000 SQLite blobs takes about a second; the dot product over the same vectors held
in one array takes milliseconds. The `vectors` table stays the truth; the array is a cache kept
beside the store file and checked against it before every search, so it survives restarts and
another process's writes:

- `<store>-vectors.<token>.f32`: the rows, float32, `dim` wide, in the order of `vectors.rowid`;
- `<store>-vectors.npz`: which array file is current, its `Key` (below) and, per row, the
  `vectors.rowid` and the notice's row id (-1: no notice) that filters select on.

Every `set_vectors` call bumps `store_meta.vectors_generation` and stamps it on the rows it
writes; a deleted vector bumps `vectors_removed` (a trigger). A cache whose key differs is
brought up to date from the rows with a later generation (patched in place or appended: new rows
always have a greater rowid) or, after a removal, rebuilt into a new array file. The index file is
replaced atomically after the array is written, so a crash leaves the previous index, which the
next search brings up to date again. One process refreshes at a time (an advisory file lock).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:  # advisory locks between processes (not on Windows: one process per store there)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_FETCH = 4096  # rows read from SQLite at a time while building


@dataclass(frozen=True)
class Key:
    """What the cache is valid for: the store file (`store_id`), the last vector generation it
    holds, the removals counted so far and the greatest vector rowid it holds."""

    store_id: str
    generation: int
    removed: int
    max_rowid: int


def read_key(conn: sqlite3.Connection) -> Key:
    """The key of the vectors stored now (three small lookups)."""
    meta = dict(conn.execute("SELECT key, value FROM store_meta").fetchall())
    (max_rowid,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM vectors").fetchone()
    return Key(
        str(meta.get("store_id", "")),
        int(meta.get("vectors_generation", 0)),
        int(meta.get("vectors_removed", 0)),
        int(max_rowid),
    )


def next_generation(conn: sqlite3.Connection) -> int:
    """Bump and return the vector generation (inside the caller's write transaction)."""
    conn.execute("UPDATE store_meta SET value = value + 1 WHERE key = 'vectors_generation'")
    (value,) = conn.execute(
        "SELECT value FROM store_meta WHERE key = 'vectors_generation'"
    ).fetchone()
    return int(value)


@dataclass(frozen=True)
class VectorRows:
    """Every stored vector: `matrix[i]` belongs to the notice whose row id is `notice_ids[i]`."""

    key: Key
    matrix: np.ndarray  # (rows, dim) float32, memory-mapped
    rowids: np.ndarray  # int64, vectors.rowid of each row, ascending
    notice_ids: np.ndarray  # int64, notices.id of each row, -1 when the notice is gone
    array_name: str

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim == 2 else 0

    def rows_of(self, notice_ids: np.ndarray) -> np.ndarray:
        """The rows holding the vectors of `notice_ids` (those without a vector left out)."""
        if not len(self.notice_ids) or not len(notice_ids):
            return np.zeros(0, dtype=np.int64)
        size = max(int(self.notice_ids.max()), int(notice_ids.max())) + 1
        row_of = np.full(size, -1, dtype=np.int64)
        known = self.notice_ids >= 0
        row_of[self.notice_ids[known]] = np.flatnonzero(known)
        rows = row_of[notice_ids[notice_ids >= 0]]
        return np.sort(rows[rows >= 0])


class VectorCache:
    """The cache files of one store file (`path`), and the rows last loaded from them."""

    def __init__(self, path: Path) -> None:
        self.folder = path.parent
        self.stem = f"{path.name}-vectors"
        self.index = self.folder / f"{self.stem}.npz"
        self.loaded: VectorRows | None = None

    def rows(self, conn: sqlite3.Connection) -> VectorRows:
        """The rows as stored now; reads SQLite only for what changed since the cache's key."""
        key = read_key(conn)
        if self.loaded is not None and self.loaded.key == key:
            return self.loaded
        try:
            with self._locked():
                current = self._read_index()
                if current is None or current.key != key:
                    current = self._refresh(conn, current, key)
        except OSError:  # no cache file can be written here (a read-only folder): in memory
            current = self._in_memory(conn, key)
        self.loaded = current
        return current

    # ---------------------------------------------------------------- files

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        with open(self.folder / f"{self.stem}.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_index(self) -> VectorRows | None:
        """The rows the index file describes, or None when it is missing or unreadable."""
        try:
            with np.load(self.index, allow_pickle=False) as data:
                key = Key(str(data["store_id"]), *(int(v) for v in data["counters"]))
                rowids, notice_ids = data["rowids"], data["notice_ids"]
                name, dim = str(data["array"]), int(data["dim"])
            return VectorRows(key, self._map(name, len(rowids), dim), rowids, notice_ids, name)
        except (OSError, KeyError, ValueError):
            return None

    def _map(self, name: str, count: int, dim: int) -> np.ndarray:
        if not count or not dim:
            return np.zeros((0, dim), dtype=np.float32)
        path = self.folder / name
        if path.stat().st_size < count * dim * 4:
            raise ValueError(f"{path} is shorter than its index says")
        return np.memmap(path, dtype=np.float32, mode="r", shape=(count, dim))

    def _write_index(self, rows: VectorRows) -> None:
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=f".{self.stem}.", suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                store_id=np.array(rows.key.store_id),
                counters=np.array(
                    [rows.key.generation, rows.key.removed, rows.key.max_rowid], dtype=np.int64
                ),
                rowids=rows.rowids,
                notice_ids=rows.notice_ids,
                array=np.array(rows.array_name),
                dim=np.array(rows.dim),
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.index)

    # ---------------------------------------------------------------- refresh

    def _refresh(
        self, conn: sqlite3.Connection, current: VectorRows | None, key: Key
    ) -> VectorRows:
        incremental = (
            current is not None
            and current.key.store_id == key.store_id
            and current.key.removed == key.removed
            and current.key.max_rowid <= key.max_rowid
        )
        if incremental and current is not None:
            updated = self._extend(conn, current, key)
            if updated is not None:
                self._write_index(updated)
                return updated
        rebuilt = self._rebuild(conn, key)
        self._write_index(rebuilt)
        self._remove_stale(keep=rebuilt.array_name)
        return rebuilt

    def _changed(self, conn: sqlite3.Connection, generation: int, max_rowid: int) -> sqlite3.Cursor:
        return conn.execute(
            "SELECT v.rowid, v.vec, coalesce(n.id, -1) FROM vectors v "
            "LEFT JOIN notices n ON n.uid = v.uid "
            "WHERE v.generation > ? OR v.rowid > ? ORDER BY v.rowid",
            (generation, max_rowid),
        )

    def _extend(self, conn: sqlite3.Connection, current: VectorRows, key: Key) -> VectorRows | None:
        """`current` with the rows written since its key patched or appended in its array
        file; None when a row does not fit (another dimension) and a rebuild is needed."""
        old = current.key
        patches: list[tuple[int, bytes, int]] = []
        appended: list[tuple[int, bytes, int]] = []
        width = current.dim * 4
        for rowid, blob, notice_id in self._changed(conn, old.generation, old.max_rowid):
            width = width or len(blob)  # the first rows of an empty cache set the width
            if len(blob) != width:
                return None
            at = int(np.searchsorted(current.rowids, rowid))
            found = at < len(current.rowids) and current.rowids[at] == rowid
            (patches if found else appended).append((at if found else rowid, blob, notice_id))
        dim = width // 4
        notice_ids = current.notice_ids.copy()
        with open(self.folder / current.array_name, "r+b") as out:
            for row, blob, notice_id in patches:
                out.seek(row * dim * 4)
                out.write(blob)
                notice_ids[row] = notice_id
            out.seek(len(current.rowids) * dim * 4)
            out.truncate()
            for _, blob, _ in appended:
                out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        rowids = np.concatenate(
            [current.rowids, np.array([r for r, _, _ in appended], dtype=np.int64)]
        )
        notice_ids = np.concatenate(
            [notice_ids, np.array([n for _, _, n in appended], dtype=np.int64)]
        )
        matrix = self._map(current.array_name, len(rowids), dim)
        return VectorRows(key, matrix, rowids, notice_ids, current.array_name)

    def _rebuild(self, conn: sqlite3.Connection, key: Key) -> VectorRows:
        """Every stored vector into a new array file, streamed (bounded memory)."""
        name = f"{self.stem}.{secrets.token_hex(4)}.f32"
        with open(self.folder / name, "wb") as out:
            width, rowids, notice_ids = _copy_rows(conn, self._changed(conn, -1, -1), out.write)
            out.flush()
            os.fsync(out.fileno())
        return VectorRows(key, self._map(name, len(rowids), width // 4), rowids, notice_ids, name)

    def _in_memory(self, conn: sqlite3.Connection, key: Key) -> VectorRows:
        blobs: list[bytes] = []
        width, rowids, notice_ids = _copy_rows(conn, self._changed(conn, -1, -1), blobs.append)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), width // 4)
        return VectorRows(key, matrix, rowids, notice_ids, "")

    def _remove_stale(self, keep: str) -> None:
        """Array files no index names any more (a process still mapping one keeps its data)."""
        for path in self.folder.glob(f"{self.stem}.*.f32"):
            if path.name != keep:
                with contextlib.suppress(OSError):
                    path.unlink()


def _copy_rows(
    conn: sqlite3.Connection, cursor: sqlite3.Cursor, write: Callable[[bytes], Any]
) -> tuple[int, np.ndarray, np.ndarray]:
    """Every row of `cursor` (rowid, vector, notice id) of the newest vector's width through
    `write`; rows of another width (a model change under way) are left out. Returns the width
    in bytes and the rows' vector rowids and notice ids."""
    newest = conn.execute(
        "SELECT length(vec) FROM vectors ORDER BY generation DESC, rowid DESC LIMIT 1"
    ).fetchone()
    width = newest[0] if newest else 0
    rowids: list[int] = []
    notice_ids: list[int] = []
    while batch := cursor.fetchmany(_FETCH):
        for rowid, blob, notice_id in batch:
            if len(blob) == width:
                write(blob)
                rowids.append(rowid)
                notice_ids.append(notice_id)
    return width, np.array(rowids, dtype=np.int64), np.array(notice_ids, dtype=np.int64)
