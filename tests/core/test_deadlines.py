"""One deadline policy: which deadline applies, whether it is past, how it reads in French.

Notices and matches are constructed for these tests (no recorded sample carries a match).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from veilleuse.core.deadlines import (
    calendar_day,
    deadline_instant,
    effective_deadline,
    format_date_fr,
    format_datetime_fr,
    format_deadline_fr,
    format_time_fr,
    is_past,
    start_of_day,
)
from veilleuse.core.models import Actor, EssFamily, Lot, Match, Notice, NoticeKind, Reason
from veilleuse.digests.compose import compose_digest
from veilleuse.digests.render import render_digest
from veilleuse.matching.explain import deadline_reason
from veilleuse.matching.matching import is_open
from veilleuse.matching.reasons import reason_text
from veilleuse.search.indexing import refresh_status

NB = "\u00a0"
PARIS_WINTER = timezone(timedelta(hours=1))
UTC_DEADLINE = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # 12:00 in Paris (UTC+1 in December)


def notice(**fields: object) -> Notice:
    values: dict[str, object] = {
        "uid": "boamp:1",
        "source": "boamp",
        "native_id": "1",
        "kind": NoticeKind.TENDER,
        "title": "Nettoyage des locaux",
    }
    values.update(fields)
    return Notice.model_validate(values)


# --------------------------------------------------------------------------- is it past?


def test_a_bare_date_lasts_until_the_end_of_that_day_in_paris() -> None:
    day = date(2026, 12, 7)
    paris_evening = datetime(2026, 12, 7, 23, 59, 30, tzinfo=PARIS_WINTER)
    assert not is_past(day, paris_evening)
    assert not is_past(day, datetime(2026, 12, 7, 22, 59, 59, tzinfo=UTC))
    # midnight in Paris while it is still the 7th in UTC: the day is over
    assert is_past(day, datetime(2026, 12, 7, 23, 0, tzinfo=UTC))
    assert is_past(day, datetime(2026, 12, 8, 0, 0, tzinfo=PARIS_WINTER))
    summer = date(2026, 7, 3)  # UTC+2
    assert not is_past(summer, datetime(2026, 7, 3, 21, 59, tzinfo=UTC))
    assert is_past(summer, datetime(2026, 7, 3, 22, 0, tzinfo=UTC))


def test_an_instant_is_past_once_reached_whatever_its_offset() -> None:
    assert not is_past(UTC_DEADLINE, datetime(2026, 12, 7, 11, 59, tzinfo=PARIS_WINTER))
    assert is_past(UTC_DEADLINE, datetime(2026, 12, 7, 12, 0, tzinfo=PARIS_WINTER))
    assert is_past(UTC_DEADLINE, datetime(2026, 12, 7, 11, 0, 1, tzinfo=UTC))
    assert not is_past(None, datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_past(UTC_DEADLINE, datetime(2026, 12, 7, 12, 0))


def test_deadline_instant_and_start_of_day_are_paris_time() -> None:
    assert deadline_instant(date(2026, 12, 7)) == datetime(2026, 12, 7, 22, 59, 59, tzinfo=UTC)
    assert deadline_instant(date(2026, 7, 3)) == datetime(2026, 7, 3, 21, 59, 59, tzinfo=UTC)
    assert deadline_instant(UTC_DEADLINE) is UTC_DEADLINE
    assert deadline_instant(None) is None
    assert start_of_day(date(2026, 12, 7)) == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert calendar_day(datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) == date(2026, 12, 8)
    assert calendar_day(date(2026, 12, 7)) == date(2026, 12, 7)


def test_effective_deadline_notice_first_then_lots() -> None:
    early = Lot(id="1", deadline=date(2026, 12, 1))
    late = Lot(id="2", deadline=datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    undated = Lot(id="3")
    with_own = notice(deadline=UTC_DEADLINE, lots=[early, late])
    assert effective_deadline(with_own) == UTC_DEADLINE
    assert effective_deadline(with_own, [early]) == UTC_DEADLINE
    by_lots = notice(lots=[early, late, undated])
    assert effective_deadline(by_lots) == late.deadline  # open until its last lot closes
    assert effective_deadline(by_lots, [early, late]) == early.deadline  # the first to meet
    assert effective_deadline(by_lots, [undated]) is None
    assert effective_deadline(by_lots, []) is None
    assert effective_deadline(notice(lots=[undated])) is None


def test_every_layer_applies_the_same_rule() -> None:
    """Indexing, matching and the digest agree on a bare day and on a UTC instant."""
    today = date(2026, 12, 7)
    day_of = notice(deadline=today)
    instant = notice(deadline=datetime(2026, 12, 6, 23, 0, tzinfo=UTC))  # midnight in Paris
    during = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert refresh_status(day_of, during).status == "open"
    assert refresh_status(instant, during).status == "closed"
    assert is_open(day_of, today) and not is_open(instant, today)
    by_lots = notice(lots=[Lot(id="1", deadline=date(2026, 12, 6)), Lot(id="2", deadline=today)])
    assert is_open(by_lots, today) and not is_open(by_lots, date(2026, 12, 8))
    actor = Actor(id="a", name="A", family=EssFamily.ASSOCIATION)
    notices = {n.uid: n for n in (day_of, instant.model_copy(update={"uid": "boamp:2"}))}
    matches = [Match(actor_id="a", notice_uid=uid, score=50) for uid in notices]
    digest = compose_digest(
        actor,
        matches,
        notices,
        {},
        {},
        set(),
        period_start=date(2026, 11, 30),
        period_end=today,
        degraded_sources=[],
        territory_name="Nord",
        today=today,
    )
    assert digest.notice_uids() == ["boamp:1"]


# --------------------------------------------------------------------------- French wording


def test_french_wording() -> None:
    assert format_date_fr(date(2026, 12, 1)) == "1er décembre 2026"
    assert format_date_fr(date(2026, 8, 15)) == "15 août 2026"
    assert format_time_fr(datetime(2026, 7, 3, 8, 5, tzinfo=UTC)) == f"10{NB}h{NB}05"
    assert format_deadline_fr(UTC_DEADLINE) == f"avant le 7 décembre 2026 à 12{NB}h{NB}00"
    assert format_deadline_fr(date(2026, 12, 1)) == "au plus tard le 1er décembre 2026"
    assert format_deadline_fr(None) == "date limite non précisée"
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # already the 8th in Paris
    assert format_datetime_fr(late) == f"8 décembre 2026 à 0{NB}h{NB}30"
    assert format_datetime_fr(date(2026, 12, 7)) == "7 décembre 2026"


def test_a_utc_deadline_shows_the_same_paris_time_everywhere() -> None:
    """11:00 UTC is 12 h 00 in Paris: in the explanation, the HTML and the text digest."""
    tender = notice(deadline=UTC_DEADLINE, buyer={"name": "Ville de Lille"})
    reason = deadline_reason(tender.deadline)
    assert reason is not None
    assert reason.params == {"deadline": "2026-12-07T11:00:00+00:00"}
    sentence = reason_text(reason)
    assert sentence == f"Date limite : 7 décembre 2026 à 12{NB}h{NB}00"
    # stored as JSON and read back, the reason still says the same
    stored = Match.model_validate_json(
        Match(actor_id="a", notice_uid=tender.uid, score=60, reasons=[reason]).model_dump_json()
    )
    assert reason_text(stored.reasons[0]) == sentence
    actor = Actor(id="a", name="Régie", family=EssFamily.SIAE_ACI)
    digest = compose_digest(
        actor,
        [stored],
        {tender.uid: tender},
        {},
        {},
        set(),
        period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 30),
        degraded_sources=[],
        territory_name="Nord",
        today=date(2026, 11, 30),
    )
    rendered = render_digest(digest)
    for body in (rendered.html, rendered.text):
        assert f"avant le 7 décembre 2026 à 12{NB}h{NB}00" in body
        assert sentence in body
        assert f"11{NB}h" not in body and "11 h" not in body


def test_a_legacy_reason_is_shown_as_stored() -> None:
    legacy = Reason.model_validate({"code": "cpv", "text": "Code CPV : 90910000", "weight": 3})
    assert reason_text(legacy) == "Code CPV : 90910000"
    assert "text" not in legacy.model_dump(mode="json")
