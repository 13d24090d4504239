"""The buyer-area filter of the embedded store reads an indexed table of buyer places (postcode,
SIREN), kept through writes and deletes and filled in place for a file written before it
(schema version 2). Notices are constructed; the places are real (Lille: SIREN 215903501 and
postcode 59000 lie in the MEL, SIREN 200093201)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from veilleuse.core.models import Buyer, Notice, NoticeKind
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters

MEL = Filters(buyer_areas=["200093201"])


def notice(uid: str, **buyer: str) -> Notice:
    return Notice(
        uid=uid,
        source=uid.split(":")[0],
        native_id=uid.split(":")[1],
        kind=NoticeKind.TENDER,
        title="Nettoyage",
        buyer=Buyer(name="Acheteur", **buyer),
    ).with_hash()


def test_writes_deletes_and_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "notices.sqlite3"
    store = EmbeddedStore(path)
    store.write(
        [
            notice("boamp:1", siret="21590350100017"),  # Ville de Lille
            notice("boamp:2", postcode="59000"),
            notice("boamp:3", postcode="13001"),
        ]
    )
    assert {n.uid for n in store.iter_notices(MEL)} == {"boamp:1", "boamp:2"}
    store.write([notice("boamp:2", postcode="13002")])  # moved away
    store.delete(["boamp:1"])
    assert [n.uid for n in store.iter_notices(MEL)] == []
    store.write([notice("boamp:4", postcode="59000")])
    store.close()
    # a file from before the table: its rows gone and its version 1
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM notice_buyer_places")
        conn.execute("PRAGMA user_version = 1")
    reopened = EmbeddedStore(path)
    assert [n.uid for n in reopened.iter_notices(MEL)] == ["boamp:4"]
    assert reopened.count(MEL) == 1
    reopened.close()
