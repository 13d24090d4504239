"""Elasticsearch killed with SIGKILL in the middle of a bulk write, restarted on the same data,
and the same write run again: every notice is stored once, none lost.

The test starts its own node with `scripts/elasticsearch.sh` (its own state folder, so it
never touches the harness's node), kills it by the PID the script saved while a writer thread
is inside `ElasticsearchStore.write`, resumes it on the same data (`resume`), writes again,
counts, and stops it. Notices are constructed (invented) for this test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from veilleuse.config.settings import StoreSettings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.search.elasticsearch_store import ElasticsearchStore

pytestmark = [pytest.mark.integration, pytest.mark.elasticsearch, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "elasticsearch.sh"
COUNT = 12_000


def _script(state: Path, command: str) -> str:
    env = {**os.environ, "VEILLEUSE_ES_STATE": str(state), "VEILLEUSE_ES_HEAP": "384m"}
    done = subprocess.run(
        ["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _notices() -> list[Notice]:
    return [
        Notice(
            uid=f"boamp:k{i}",
            source="boamp",
            native_id=f"k{i}",
            kind=NoticeKind.TENDER,
            title=f"Marché d'entretien numéro {i}",
            deadline=date(2027, 1, 1),
        ).with_hash()
        for i in range(COUNT)
    ]


def _store(url: str) -> ElasticsearchStore:
    settings = StoreSettings(url=url, bulk_chunk_size=200)
    return ElasticsearchStore(settings, index_alias="kill-test", dimension=8)


def test_a_node_killed_mid_bulk_and_resumed_loses_nothing(tmp_path: Path) -> None:
    state = tmp_path / "es-state"
    url = _script(state, "start")
    try:
        notices = _notices()
        store = _store(url)
        failure: list[BaseException] = []

        def write() -> None:
            try:
                store.write(notices)
            except BaseException as exc:  # the node dies under it
                failure.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.5)  # a few chunks in
        assert writer.is_alive(), "the write ended before the kill: raise COUNT"
        os.kill(int((state / "pid").read_text()), signal.SIGKILL)
        writer.join(timeout=120)
        assert failure, "the write did not notice the node's death"
        store.close()

        assert _script(state, "resume") == url
        again = _store(url)
        again.write(notices)
        stored = again.count()
        found = {n.uid for n in again.get_many([n.uid for n in notices])}
        again.close()
        print(f"\nES killed mid-bulk: {COUNT} notices, {stored} stored, {COUNT - len(found)} lost")
        assert stored == COUNT and len(found) == COUNT
    finally:
        _script(state, "stop")
