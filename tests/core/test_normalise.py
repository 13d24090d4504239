"""Pure normalisation helpers, on values seen in the real samples."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from veilleuse.core.normalise import (
    clean_text,
    cpv_code,
    cpv_codes,
    department_from_postcode,
    fold,
    normalise_department,
    parse_date,
    parse_deadline,
    parse_money,
    siret,
)

PLUS1 = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Travaux&nbsp;de   voirie ", "Travaux de voirie"),
        ("L&rsquo;appel &agrave; projets", "L’appel à projets"),
        (
            "<p>Soutien <b>aux</b> associations</p><p>culturelles</p>",
            "Soutien aux associations culturelles",
        ),
        ("", None),
        (None, None),
    ],
)
def test_clean_text(raw: object, expected: str | None) -> None:
    assert clean_text(raw) == expected


def test_dates_and_deadlines() -> None:
    assert parse_date("20190222") == date(2019, 2, 22)
    assert parse_date("2026-07-10+02:00") == date(2026, 7, 10)
    assert parse_date("15/03/2026") == date(2026, 3, 15)
    assert parse_deadline("2019-03-22", "15:00") == datetime(2019, 3, 22, 15, tzinfo=PLUS1)
    assert parse_deadline("2019-11-13+01:00", "12:00:00+01:00") == datetime(
        2019, 11, 13, 12, tzinfo=PLUS1
    )
    assert parse_deadline("2017-02-20T16:00:00") == datetime(2017, 2, 20, 16, tzinfo=PLUS1)
    summer = parse_deadline("2026-07-10", "10h30")
    assert isinstance(summer, datetime) and summer.utcoffset() == timedelta(hours=2)
    assert parse_deadline("2026-07-10") == date(2026, 7, 10)
    with pytest.raises(ValueError):
        parse_date("next tuesday")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234 567,89 €", 1234567.89),
        ("80000", 80000.0),
        (80000, 80000.0),
        ("1.5e6", 1500000.0),
        ("1e17", None),
        ("", None),
        ("12,500", 12500.0),
        ("3 000 000", 3000000.0),
    ],
)
def test_parse_money(raw: object, expected: float | None) -> None:
    assert parse_money(raw) == expected


def test_cpv_and_places_and_siret() -> None:
    assert cpv_code("38950000-9") == "38950000"
    assert cpv_codes(["45210000", "45210000-2", " 71000000-8", None]) == ["45210000", "71000000"]
    assert department_from_postcode("59000") == "59"
    assert department_from_postcode("20090") == "2A"
    assert department_from_postcode("20200") == "2B"
    assert department_from_postcode("97400") == "974"
    assert normalise_department("5") == "05"
    assert normalise_department("2a") == "2A"
    assert normalise_department("FR") is None
    assert siret("123 456 789 00023") == "12345678900023"
    assert siret("123") is None
    assert fold("Collège Épinal") == "college epinal"
