"""Fault injection on loopback: a real `veilleuse digests` subprocess sending to aiosmtpd.

Each case kills the run (SIGKILL, from the test-only fault points of `app.faults`) at one step
of the digest run — after each digest is logged and before it is sent; after the server accepted
it and before the send log says so; after each actor's turn — then runs it again, and counts
the actor × notice pairs received twice and never. Expected: nothing lost, and only the one
message in flight at a kill between "accepted" and "recorded" received twice. Then the mail
server's faults: a 5xx for one address, a 4xx, the server down. Figures: docs/reliability.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from digest_world import ACTOR_IDS, TITLES, address, count, run_digests, seed

from smtp_server import free_port, smtp_server

pytestmark = [pytest.mark.integration]

KILLED = -9


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeded")
    seed(folder)
    return folder


def _fresh(seeded: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded, data_dir)
    return data_dir


STEPS = [(step, n) for step in ("digest.logged", "delivery.sent", "digest.actor") for n in (1, 2)]


@pytest.mark.parametrize(("step", "n"), STEPS, ids=[f"{s}-{n}" for s, n in STEPS])
def test_kill_at_each_step_then_rerun(seeded: Path, tmp_path: Path, step: str, n: int) -> None:
    data_dir = _fresh(seeded, tmp_path)
    with smtp_server() as (controller, inbox):
        assert run_digests(data_dir, controller.port, f"{step}:{n}") == KILLED
        assert run_digests(data_dir, controller.port) == 0
        counted = count(inbox.messages())
    print(f"\nkill at {step}:{n}: {counted.figures()}")  # figures for docs/reliability.md (-s)
    assert counted.lost == 0, counted.received
    # only the message accepted by the server and not yet recorded is sent again
    assert counted.duplicated == (len(TITLES) if step == "delivery.sent" else 0), counted.received
    assert counted.messages == len(ACTOR_IDS) + (1 if step == "delivery.sent" else 0)


def test_a_permanent_refusal_marks_the_address_and_is_not_retried(
    seeded: Path, tmp_path: Path
) -> None:
    data_dir = _fresh(seeded, tmp_path)
    refused = address(ACTOR_IDS[0])
    with smtp_server() as (controller, inbox):
        inbox.refused.add(refused)
        assert run_digests(data_dir, controller.port) == 0  # the others were sent
        assert run_digests(data_dir, controller.port) == 0
        assert [a for a, _ in inbox.answers].count(refused) == 1  # tried once, never again
        counted = count(inbox.messages())
    print(f"\n{counted.figures()}")
    assert counted.duplicated == 0
    assert counted.lost == len(TITLES)  # the refused actor's, kept until an officer clears it


def test_a_temporary_refusal_is_sent_by_the_next_run(seeded: Path, tmp_path: Path) -> None:
    data_dir = _fresh(seeded, tmp_path)
    busy = address(ACTOR_IDS[1])
    with smtp_server() as (controller, inbox):
        inbox.busy[busy] = 1  # 451 once (retries within the run are off here)
        assert run_digests(data_dir, controller.port) == 0
        assert run_digests(data_dir, controller.port) == 0
        counted = count(inbox.messages())
    print(f"\n{counted.figures()}")
    assert (counted.lost, counted.duplicated) == (0, 0)


def test_smtp_down_fails_the_run_and_the_next_run_sends_everything(
    seeded: Path, tmp_path: Path
) -> None:
    data_dir = _fresh(seeded, tmp_path)
    assert run_digests(data_dir, free_port()) == 1  # nobody listens: every digest failed
    with smtp_server() as (controller, inbox):
        assert run_digests(data_dir, controller.port) == 0
        counted = count(inbox.messages())
    print(f"\n{counted.figures()}")
    assert (counted.lost, counted.duplicated, counted.messages) == (0, 0, len(ACTOR_IDS))
