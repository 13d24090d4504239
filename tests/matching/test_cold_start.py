"""Cold start: CPV codes suggested from past contracts and from the description."""

from __future__ import annotations

from veilleuse.core.models import Actor, Awardee, CpvInterest, EssFamily, Notice, NoticeKind
from veilleuse.matching.cold_start import codes_from_description, with_suggested_cpv


def test_description_against_french_cpv_labels() -> None:
    codes = codes_from_description("Entretien d'espaces verts, tonte, taille de haies")
    assert "77310000" in codes  # Réalisation et entretien d'espaces verts
    assert "77342000" in codes  # Taille des haies
    assert codes_from_description("") == []


def test_awards_come_first_and_codes_are_marked_suggested() -> None:
    award = Notice(
        uid="decp:1",
        source="decp",
        native_id="1",
        kind=NoticeKind.AWARD,
        title="Nettoyage des écoles",
        cpv=["90919300"],
        awardees=[Awardee(name="Régie", siret="12345678901234")],
    )
    actor = Actor(
        id="a",
        name="Régie",
        family=EssFamily.SIAE_ACI,
        siret="12345678901234",
        description="Entretien d'espaces verts",
    )
    suggested = with_suggested_cpv(actor, [award])
    assert suggested.cpv_interests[0] == CpvInterest(code="90919300", declared=False)
    assert all(not c.declared for c in suggested.cpv_interests)
    assert "77310000" in suggested.cpv_codes()


def test_declared_codes_are_left_alone() -> None:
    actor = Actor(
        id="a",
        name="A",
        family=EssFamily.ASSOCIATION,
        description="Nettoyage",
        cpv_interests=[CpvInterest(code="90911200")],
    )
    assert with_suggested_cpv(actor) is actor
