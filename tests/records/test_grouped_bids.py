"""The grouped-bid register in the records database: create, read in a bounded number of queries,
filter, move under the rules of core (refused changes leave nothing), concurrent moves (one wins),
details, outcome proposals; and the interests actors express."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from veilleuse.core import grouped_bids as rules
from veilleuse.core.bids import (
    BidEvent,
    BidFilters,
    BidForm,
    BidKind,
    BidMember,
    BidStage,
    BidUpdate,
    GroupedBid,
    LossReason,
    MemberRole,
    OutcomeProposal,
)
from veilleuse.core.errors import NotFoundError, RecordsError, TransitionError, ValidationError
from veilleuse.core.grouped_bids import StageChange
from veilleuse.core.models import Money
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import interests as interest_records
from veilleuse.records.db import Records

S = BidStage
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def records(records_url: str) -> Iterator[Records]:
    """A fresh records database, on SQLite and on PostgreSQL."""
    handle = Records(records_url)
    yield handle
    handle.dispose()


@pytest.fixture
def sqlite_records(tmp_path: Path) -> Iterator[Records]:
    """A fresh SQLite records database, for interleavings only SQLite allows."""
    handle = Records(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    yield handle
    handle.dispose()


@contextmanager
def count_selects(records: Records) -> Iterator[list[str]]:
    statements: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(records.engine, "before_cursor_execute", log)
    try:
        yield statements
    finally:
        event.remove(records.engine, "before_cursor_execute", log)


def team(*ids: str) -> list[BidMember]:
    lead, *others = ids
    return [
        BidMember(actor_id=lead, role=MemberRole.LEAD, lots=["1"]),
        *(BidMember(actor_id=a, lots=[str(i + 2)]) for i, a in enumerate(others)),
    ]


def new_bid(notice: str = "boamp:1", stage: BidStage = S.SPOTTED, **fields: Any) -> GroupedBid:
    values: dict[str, Any] = {
        "notice_uid": notice,
        "title": f"Avis {notice}",
        "territory_id": "valenciennes",
        "stage": stage,
        "members": team("regie", "esat"),
    }
    return GroupedBid.model_validate(values | fields)


def create(records: Records, **fields: Any) -> GroupedBid:
    return bid_records.create_grouped_bid(records, new_bid(**fields), by="staff", at=AT)


def test_a_created_bid_reads_back_whole(records: Records) -> None:
    bid = create(
        records,
        kind=BidKind.FUNDING,
        form=BidForm.SOLIDAIRE,
        contact_name="Camille",
        contact_email="camille@example.org",
        documents=["https://example.org/dce.zip"],
        notes="à suivre",
        from_suggestion=True,
    )
    assert bid.id is not None
    assert bid.created_at == bid.updated_at == AT
    assert bid.history == [BidEvent(at=AT, by="staff", to_stage=S.SPOTTED, note="créée")]
    with count_selects(records) as selects:
        again = bid_records.get_grouped_bid(records, bid.id)
    assert len(selects) == 3
    assert again == bid
    assert (again.kind, again.form, again.documents, again.from_suggestion) == (
        BidKind.FUNDING,
        BidForm.SOLIDAIRE,
        ["https://example.org/dce.zip"],
        True,
    )
    assert [(m.actor_id, m.role, m.lots) for m in again.members] == [
        ("regie", MemberRole.LEAD, ["1"]),
        ("esat", MemberRole.COTRAITANT, ["2"]),
    ]
    assert bid_records.get_grouped_bid(records, 999) is None


def test_a_bid_is_created_only_at_an_initial_stage_with_a_valid_team(records: Records) -> None:
    with pytest.raises(ValidationError, match="créée à l'étape « gagnée »"):
        create(records, stage=S.WON)
    with pytest.raises(ValidationError, match="au moins deux structures"):
        create(records, stage=S.TEAM_FORMED, members=team("regie"))
    assert bid_records.list_grouped_bids(records) == []


def test_moves_are_logged_with_their_requirements(records: Records) -> None:
    bid = create(records)
    assert bid.id is not None
    for stage in (S.INTEREST, S.TEAM_FORMED, S.SUBMITTED):
        bid = bid_records.move_grouped_bid(
            records, bid.id, [StageChange(stage, note=f"→ {stage}")], by="staff", at=AT
        )
    won = bid_records.move_grouped_bid(
        records,
        bid.id,
        [StageChange(S.WON, amount_won=Money(amount=120_000), shares={"regie": 70, "esat": 30})],
        by="staff",
        at=AT + timedelta(days=1),
    )
    assert bid_records.get_grouped_bid(records, bid.id) == won
    assert won.amount_won == Money(amount=120_000)
    assert [(m.actor_id, m.share_percent) for m in won.members] == [("regie", 70), ("esat", 30)]
    assert [(e.from_stage, e.to_stage, e.note) for e in won.history] == [
        (None, S.SPOTTED, "créée"),
        (S.SPOTTED, S.INTEREST, "→ interest"),
        (S.INTEREST, S.TEAM_FORMED, "→ team_formed"),
        (S.TEAM_FORMED, S.SUBMITTED, "→ submitted"),
        (S.SUBMITTED, S.WON, None),
    ]
    assert won.updated_at == AT + timedelta(days=1)
    with pytest.raises(NotFoundError, match="999"):
        bid_records.move_grouped_bid(records, 999, [StageChange(S.INTEREST)])


def test_a_refused_change_leaves_the_bid_and_its_history_unchanged(records: Records) -> None:
    bid = create(records, stage=S.SUBMITTED)
    assert bid.id is not None
    with pytest.raises(TransitionError, match="« candidature déposée » → « repérée »"):
        bid_records.move_grouped_bid(records, bid.id, [StageChange(S.SPOTTED)], by="x")
    with pytest.raises(ValidationError, match="indiquez la raison"):
        bid_records.move_grouped_bid(records, bid.id, [StageChange(S.LOST)])
    # a chain fails as a whole: the first change is not kept either
    with pytest.raises(ValidationError, match="montant gagné"):
        bid_records.move_grouped_bid(records, bid.id, [StageChange(S.WON)])
    assert bid_records.get_grouped_bid(records, bid.id) == bid

    lost = bid_records.move_grouped_bid(
        records, bid.id, [StageChange(S.LOST, reason=LossReason.OTHER, detail="offre hors délai")]
    )
    assert (lost.loss_reason, lost.loss_detail) == (LossReason.OTHER, "offre hors délai")
    assert lost.history[-1].reason is LossReason.OTHER
    assert bid_records.get_grouped_bid(records, bid.id) == lost


def test_two_moves_at_once_one_wins_and_the_other_is_refused(
    sqlite_records: Records, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the bid at « candidature déposée » before either writes: the second write finds
    the stage changed and is refused with a TransitionError naming the stage it found.

    SQLite only: on PostgreSQL the row lock (SELECT … FOR UPDATE) holds the second read until
    the first commits, so both cannot read first."""
    records = sqlite_records
    bid = create(records, stage=S.SUBMITTED)
    assert bid.id is not None
    both_read = threading.Barrier(2, timeout=10)
    real_apply = rules.apply_changes

    def apply_after_both_read(*args: Any, **kwargs: Any) -> GroupedBid:
        both_read.wait()
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(bid_records, "apply_changes", apply_after_both_read)
    outcomes: dict[str, object] = {}
    # as two processes would: each its own engine (migrated here, one after the other)
    handles = {"unsuccessful": Records(records.url), "lost": Records(records.url)}
    for handle in handles.values():
        handle.engine  # noqa: B018 - first use migrates

    def move(name: str, change: StageChange) -> None:
        try:
            outcomes[name] = bid_records.move_grouped_bid(
                handles[name], bid.id or 0, [change], by=name
            )
        except Exception as exc:  # recorded for the assertions
            outcomes[name] = exc
        finally:
            handles[name].dispose()

    threads = [
        threading.Thread(target=move, args=("unsuccessful", StageChange(S.UNSUCCESSFUL))),
        threading.Thread(
            target=move,
            args=("lost", StageChange(S.LOST, reason=LossReason.PRICE)),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    kept = [o for o in outcomes.values() if isinstance(o, GroupedBid)]
    assert len(errors) == 1 and len(kept) == 1, outcomes
    assert isinstance(errors[0], TransitionError)
    assert "vient de passer à" in str(errors[0])
    stored = bid_records.get_grouped_bid(records, bid.id)
    assert stored is not None
    assert stored.stage is kept[0].stage
    assert [e.to_stage for e in stored.history] == [S.SUBMITTED, kept[0].stage]


def test_details_change_without_touching_the_stage(records: Records) -> None:
    bid = create(records, notes="ancienne note")
    assert bid.id is not None
    changed = bid_records.update_grouped_bid(
        records,
        bid.id,
        BidUpdate(
            members=[
                *team("esat", "regie"),
                BidMember(actor_id="ressourcerie", role=MemberRole.SOUS_TRAITANT, lots=["3"]),
            ],
            notes=None,
            form=BidForm.CONJOINT,
            documents=[" https://example.org/a.pdf ", "https://example.org/a.pdf"],
        ),
        at=AT + timedelta(hours=1),
    )
    stored = bid_records.get_grouped_bid(records, bid.id)
    assert stored == changed
    assert stored is not None
    assert [(m.actor_id, m.role) for m in stored.members] == [
        ("esat", MemberRole.LEAD),
        ("regie", MemberRole.COTRAITANT),
        ("ressourcerie", MemberRole.SOUS_TRAITANT),
    ]
    assert (stored.notes, stored.form, stored.documents) == (
        None,
        BidForm.CONJOINT,
        ["https://example.org/a.pdf"],
    )
    assert stored.title == bid.title and stored.stage is S.SPOTTED
    assert stored.history == bid.history
    assert stored.updated_at == AT + timedelta(hours=1)
    with pytest.raises(ValidationError, match="lien http"):
        bid_records.update_grouped_bid(records, bid.id, BidUpdate(documents=["file:///etc"]))
    with pytest.raises(ValidationError, match="e-mail de contact invalide"):
        bid_records.update_grouped_bid(records, bid.id, BidUpdate(contact_email="camille"))
    assert bid_records.update_grouped_bid(records, bid.id, BidUpdate()) == stored


def test_a_terminal_bids_team_is_frozen(records: Records) -> None:
    bid = create(records, stage=S.SUBMITTED)
    assert bid.id is not None
    bid_records.move_grouped_bid(
        records, bid.id, [StageChange(S.ABANDONED, reason=LossReason.CAPACITY)]
    )
    with pytest.raises(ValidationError, match="n'est plus modifiable"):
        bid_records.update_grouped_bid(records, bid.id, BidUpdate(members=team("regie")))
    noted = bid_records.update_grouped_bid(records, bid.id, BidUpdate(notes="bilan fait"))
    assert noted.notes == "bilan fait"


def test_filters_select_in_three_queries(records: Records) -> None:
    created = [
        create(records, notice="boamp:1"),
        create(records, notice="boamp:2", territory_id="mel", members=team("lille", "regie")),
        create(records, notice="ted:3-2026", kind=BidKind.FUNDING, from_suggestion=True),
    ]
    later = datetime(2026, 12, 20, 9, tzinfo=UTC)
    for i in range(10):
        bid_records.create_grouped_bid(
            records, new_bid(notice=f"boamp:x{i}", stage=S.INTEREST), at=later
        )
    third = created[2]
    assert third.id is not None
    bid_records.move_grouped_bid(
        records, third.id, [StageChange(S.ABANDONED, reason=LossReason.DEADLINE)], at=later
    )

    def ids(**filters: Any) -> list[str]:
        bids = bid_records.list_grouped_bids(records, BidFilters(**filters))
        assert bid_records.count_grouped_bids(records, BidFilters(**filters)) >= len(bids)
        return [b.notice_uid for b in bids]

    with count_selects(records) as selects:
        everything = bid_records.list_grouped_bids(records)
    assert len(everything) == 13 and len(selects) == 3
    assert all(len(b.members) >= 2 and b.history for b in everything)
    assert ids(territories=["mel"]) == ["boamp:2"]
    assert ids(territories=[]) == []
    assert ids(actor_ids=["lille"]) == ["boamp:2"]
    assert ids(stages=[S.ABANDONED]) == ["ted:3-2026"]
    assert ids(kinds=[BidKind.FUNDING]) == ["ted:3-2026"]
    assert ids(from_suggestion=True) == ["ted:3-2026"]
    assert ids(notice_uids=["boamp:1", "boamp:x3"]) == ["boamp:1", "boamp:x3"]
    assert ids(created_to=date(2026, 12, 1)) == ["boamp:1", "boamp:2", "ted:3-2026"]
    assert ids(created_from=date(2026, 12, 2), limit=2, offset=1) == ["boamp:x1", "boamp:x2"]
    assert ids(updated_from=later, created_to=AT) == ["ted:3-2026"]
    assert len(ids(open_only=True)) == 12
    assert bid_records.count_grouped_bids(records, BidFilters(limit=1)) == 13
    assert len(bid_records.open_bid_notices(records, [BidKind.TENDER])) == 12


def test_a_proposal_is_kept_until_cleared_dismissed_or_decided(records: Records) -> None:
    bid = create(records, stage=S.SUBMITTED)
    assert bid.id is not None
    proposal = OutcomeProposal(
        award_uid="boamp:9",
        outcome=S.WON,
        awardees=["Régie (12345678900011)"],
        amount=Money(amount=5_000),
        matched_by="boamp:1",
        proposed_at=AT,
        members_awarded=["regie"],
    )
    assert bid_records.set_proposal(records, bid.id, proposal) is not None
    stored = bid_records.get_grouped_bid(records, bid.id)
    assert stored is not None and stored.proposal == proposal
    dismissed = bid_records.dismiss_proposal(records, bid.id)
    assert dismissed.proposal is None and dismissed.dismissed_awards == ["boamp:9"]
    assert bid_records.get_grouped_bid(records, bid.id) == dismissed
    # a dismissed award is never proposed again; another one is
    assert bid_records.set_proposal(records, bid.id, proposal) is None
    other = proposal.model_copy(update={"award_uid": "ted:10-2026"})
    assert bid_records.set_proposal(records, bid.id, other) is not None
    decided = bid_records.move_grouped_bid(
        records, bid.id, [StageChange(S.UNSUCCESSFUL, note="déclaré sans suite")]
    )
    assert decided.proposal is None
    assert bid_records.set_proposal(records, bid.id, other) is None
    assert bid_records.dismiss_proposal(records, bid.id) == bid_records.get_grouped_bid(
        records, bid.id
    )


def test_an_interest_is_recorded_once(records: Records) -> None:
    assert interest_records.add_interest(records, "regie", "boamp:1", None, AT)
    assert not interest_records.add_interest(records, "regie", "boamp:1", 7, AT + timedelta(1))
    with pytest.raises(RecordsError):  # an unknown user is an error, not "already interested"
        interest_records.add_interest(records, "esat", "boamp:1", 7, AT)
    assert interest_records.add_interest(records, "esat", "boamp:1", None, AT + timedelta(1))
    assert interest_records.add_interest(records, "esat", "ted:2-2026", None, AT)
    found = interest_records.interests_of_notices(records, ["boamp:1"])
    assert [(i.actor_id, i.at, i.by_user_id) for i in found] == [
        ("regie", AT, None),
        ("esat", AT + timedelta(1), None),
    ]
    assert [i.notice_uid for i in interest_records.interests_of_actors(records, ["esat"])] == [
        "ted:2-2026",
        "boamp:1",
    ]
    assert len(interest_records.interests_of_actors(records, None)) == 3
    assert interest_records.interests_of_actors(records, []) == []
    assert interest_records.interests_of_notices(records, []) == []


def test_an_edit_and_a_move_at_once_undo_nothing_of_each_other(
    sqlite_records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move lands between an edit's read and its write: the edit is refused (its team was
    checked against the old stage) and the move is kept; an edit landing inside a move keeps
    its notes (each writes only its own columns).

    SQLite only: the move is made to land between the edit's read and write, which PostgreSQL's
    row lock (SELECT … FOR UPDATE) forbids."""
    records = sqlite_records
    bid = create(records, stage=S.SUBMITTED)
    assert bid.id is not None
    other = Records(records.url)
    other.engine  # noqa: B018 - migrated before the race
    real_update, real_changes = bid_records.apply_update, bid_records.apply_changes

    def update_after_a_move(*args: Any, **kwargs: Any) -> GroupedBid:
        bid_records.move_grouped_bid(
            other, bid.id or 0, [StageChange(S.UNSUCCESSFUL, note="pendant l'édition")]
        )
        return real_update(*args, **kwargs)

    monkeypatch.setattr(bid_records, "apply_update", update_after_a_move)
    with pytest.raises(ValidationError, match="vient de changer d'étape"):
        bid_records.update_grouped_bid(records, bid.id, BidUpdate(members=team("regie", "esat")))
    monkeypatch.setattr(bid_records, "apply_update", real_update)
    moved = bid_records.get_grouped_bid(records, bid.id)
    assert moved is not None and moved.stage is S.UNSUCCESSFUL

    second = create(records, notice="boamp:2", stage=S.SUBMITTED)
    assert second.id is not None

    def move_after_an_edit(*args: Any, **kwargs: Any) -> GroupedBid:
        bid_records.update_grouped_bid(other, second.id or 0, BidUpdate(notes="écrit pendant"))
        return real_changes(*args, **kwargs)

    monkeypatch.setattr(bid_records, "apply_changes", move_after_an_edit)
    bid_records.move_grouped_bid(
        records, second.id, [StageChange(S.LOST, reason=LossReason.TECHNICAL)]
    )
    both = bid_records.get_grouped_bid(records, second.id)
    assert both is not None
    assert (both.stage, both.notes) == (S.LOST, "écrit pendant")
    other.dispose()
