"""The French analysis both stores index and search with (issue 17)."""

from __future__ import annotations

from veilleuse.core.models import Lot, Notice, NoticeKind
from veilleuse.search import french_text as ft


def test_elisions_stop_words_accents_and_stems() -> None:
    assert ft.terms("L'entretien des espaces verts") == ["entretien", "espac", "vert"]
    assert ft.terms("d’activité économique") == ft.terms("activite economique")
    assert ft.terms("les associations") == ft.terms("association")
    assert ft.terms("Œuvres") == ft.terms("oeuvre")


def test_numbers_and_codes_are_kept_whole() -> None:
    assert ft.terms("lot 2 CPV 77310000") == ["lot", "2", "cpv", "77310000"]


def test_every_synonym_member_is_analysed_and_groups_are_unique() -> None:
    groups = ft.synonym_groups()
    assert len({g.id for g in groups}) == len(groups) >= 20
    for group in groups:
        assert group.sources, group.id
        assert len(group.phrases) == len(group.members), group.id


def test_a_query_phrase_becomes_its_group_and_a_notice_is_indexed_with_it() -> None:
    clauses = ft.query_clauses("SIAE")
    assert [c.term for c in clauses] == ["qsynsiae"]
    assert ft.query_clauses("insertion par l'activité économique")[0].term == "qsynsiae"
    notice = Notice(
        uid="t:1",
        source="t",
        native_id="1",
        kind=NoticeKind.TENDER,
        title="Marché réservé",
        description="Réservé aux structures d'insertion par l'activité économique",
    )
    assert "qsynsiae" in ft.analyse_notice(notice).body.split()


def test_synonyms_from_the_issue() -> None:
    def group_of(text: str) -> set[str]:
        return {g.id for g in ft.groups_in(ft.terms(text))}

    assert group_of("ESAT") == group_of("entreprise adaptée") == {"handicap"}
    assert group_of("aménagement paysager") == group_of("espaces verts") == {"espacesverts"}
    assert group_of("repas") == group_of("restauration collective") == {"restauration"}
    # "restauration" alone is also the restoration of buildings and works: no group
    assert group_of("restauration d'un fonds patrimonial") == set()


def test_cpv_labels_are_indexed_in_their_own_field() -> None:
    notice = Notice(
        uid="t:2",
        source="t",
        native_id="2",
        kind=NoticeKind.TENDER,
        title="Marché 2026-04",
        cpv=["77310000"],
        lots=[Lot(id="1", title="Lot un", cpv=["90910000"])],
    )
    analysed = ft.analyse_notice(notice)
    assert "vert" in analysed.cpv.split() and "nettoyag" in analysed.cpv.split()
    assert "vert" not in analysed.title.split()


def test_the_last_word_may_be_a_prefix_unless_followed_by_a_space() -> None:
    assert ft.query_clauses("nett")[-1].prefix == "nett"
    assert ft.query_clauses("nett ")[-1].prefix is None
    assert ft.query_clauses("de la")[:] == []
