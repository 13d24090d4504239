"""Text detection of reserved contracts and social clauses (veilleuse.core.reserved)."""

from __future__ import annotations

import pytest

from veilleuse.core.models import Evidence, Lot, Notice, NoticeKind, ReservedKind
from veilleuse.core.reserved import EVIDENCE_CHARS, Signals, apply_text_signals, detect, sentences

SW, INS, ESS, PSM = (
    ReservedKind.SHELTERED_WORKSHOP,
    ReservedKind.INSERTION,
    ReservedKind.ESS,
    ReservedKind.PUBLIC_SERVICE_MISSION,
)

# Real sentences: French labels of the eForms `reserved-procurement` code list
# (data/real/ted_eforms/codelists/reserved-procurement.gc) and notice texts from the samples.
REAL = [
    (
        "La participation est réservée à des ateliers protégés et à des opérateurs économiques dont "
        "l’objet principal est l’intégration sociale et professionnelle de personnes handicapées ou "
        "défavorisées.",
        True,
        [SW],
        None,
    ),
    (
        "La participation est réservée à des organisations qui poursuivent une mission de service "
        "public et respectent d’autres conditions pertinentes énoncées dans la législation.",
        True,
        [PSM],
        None,
    ),
    ("La participation n’est pas réservée.", False, [], None),
    # test-pub.xml (BOAMP 16-186394), OPTIONS_DESCRIPTION
    (
        "Le pouvoir adjudicateur se réserve la possibilité de conclure ultérieurement, avec le "
        "titulaire de chaque marché, un marché ayant pour objet la réalisation de prestations "
        "similaires à celles confiées au titulaire dans le cadre de la présente consultation.",
        None,
        [],
        None,
    ),
    # test-pub.xml, CONDITION_PARTICULIERE_EXECUTION
    (
        "Les marchés comportent des dispositions à caractère environnementale décrites à "
        "l'article 1.5.2 du CCAP.",
        None,
        [],
        None,
    ),
    # test-pub-8.xml (BOAMP 17-40964), OBJET_COMPLET (apostrophes lost at source)
    (
        "Les candidats admis à présenter une offre, sélectionnés après examen de leur aptitude à "
        "assurer la continuité du service public et légalité des usagers, à travers leurs "
        "références, leurs garanties professionnelles et financières, ainsi que le respect de "
        "lobligation demploi des travailleurs handicapés conformément aux articles L5212-1, "
        "L5212-2, L5212-5 et L5212-9 du Code du travail (CANDIDATURE), recevront un dossier de "
        "consultation, envoyé aux frais de la Collectivité.",
        None,
        [],
        None,
    ),
    # ted_eforms/cn-desg_24.xml
    (
        "2) qualité architecturale du projet et cohérence de son insertion dans le site;",
        None,
        [],
        None,
    ),
    (
        "Les indemnisations sont forfaitaires, conformément aux dispositions de l'article R. 2172-4 "
        "du code de la commande publique, l'acheteur, sur proposition du jury, se réserve le droit, "
        "dans le cas d'un projet qu'il jugerait incomplet, de supprimer l'indemnité.",
        None,
        [],
        None,
    ),
    # aides_territoires sample (a funding call, not a social clause)
    (
        "Le dispositif est une aide accordée aux écoles de l'ESC et a pour objectif de favoriser "
        "l'insertion professionnelle des étudiants et des jeunes diplômés de l'ESC.",
        None,
        [],
        None,
    ),
]

PHRASINGS = [
    # reserved, positive
    (
        "Marché réservé aux entreprises adaptées et aux ESAT (article L. 2113-12 du CCP).",
        True,
        [SW],
        None,
    ),
    ("MARCHÉ RÉSERVÉ AUX ÉTABLISSEMENTS ET SERVICES D'AIDE PAR LE TRAVAIL.", True, [SW], None),
    ("Les prestations sont réservées à des travailleurs handicapés.", True, [SW], None),
    (
        "Marché réservé en application de l'art. 20 de la directive (ateliers protégés).",
        True,
        [SW],
        None,
    ),
    (
        "Le présent marché est réservé aux structures d'insertion par l'activité économique "
        "mentionnées à l'article L2113-13.",
        True,
        [INS],
        None,
    ),
    ("Consultation réservée aux SIAE.", True, [INS], None),
    (
        "Lots réservés aux entreprises de l'économie sociale et solidaire (L.2113-15).",
        True,
        [ESS],
        None,
    ),
    ("Lot 3 réservé aux ESAT.Les autres lots sont ouverts à tous.", True, [SW], None),
    ("Marchés réservés.", True, [], None),
    # reserved, negative
    ("Le marché n'est pas réservé.", False, [], None),
    ("Marché réservé : non", False, [], None),
    ("Aucun lot réservé.", False, [], None),
    ("MARCHE_RESERVE_NON", None, [], None),
    ("La prestation est réservée à une profession particulière : architecte.", None, [], None),
    ("Sous réserve de l'accord du jury.", None, [], None),
    ("Réservation des salles et hébergement des participants.", None, [], None),
    # social clause, positive
    ("Le marché comporte une clause sociale d'insertion.", None, [], True),
    ("Le titulaire réalisera 350 heures d'insertion.", None, [], True),
    ("CLAUSE D'INSERTION : OUI", None, [], True),
    (
        "L'insertion professionnelle des publics éloignés de l'emploi est une condition "
        "d'exécution du marché.",
        None,
        [],
        True,
    ),
    ("Critère n° 3 : performance en matière d'insertion professionnelle (20 %).", None, [], True),
    ("Conformément à l'article L2112-2, une action d'insertion est imposée.", None, [], True),
    # social clause, negative
    ("Aucune clause sociale n'est prévue.", None, [], False),
    ("Le marché ne comporte pas de clause d'insertion.", None, [], False),
    ("Clause sociale : non", None, [], False),
    ("Offre économiquement la plus avantageuse (article R2152-7).", None, [], None),
    ("Etude prospective à la fois technique, financière et sociale.", None, [], None),
]


@pytest.mark.parametrize(("text", "reserved", "kinds", "social"), REAL + PHRASINGS)
def test_detect(
    text: str, reserved: bool | None, kinds: list[ReservedKind], social: bool | None
) -> None:
    signals = detect(text)
    assert (signals.reserved, signals.kinds, signals.social) == (reserved, kinds, social)
    assert bool(signals.reserved_evidence) == (reserved is not None)
    assert bool(signals.social_evidence) == (social is not None)


def test_detect_empty() -> None:
    assert detect(None) == Signals()
    assert detect("   ") == Signals()


def test_evidence_is_the_sentence() -> None:
    text = "Objet : entretien des espaces verts. Marché réservé aux ESAT et EA. Durée : 1 an."
    assert detect(text).reserved_evidence == ["Marché réservé aux ESAT et EA."]


def test_long_sentence_evidence_is_trimmed_around_the_match() -> None:
    filler = "prestations d'entretien des espaces verts et des voiries communales, " * 8
    signals = detect(
        f"Les {filler}comportent une clause sociale d'insertion obligatoire pour tous les lots"
    )
    (evidence,) = signals.social_evidence
    assert len(evidence) <= EVIDENCE_CHARS + 2
    assert "clause sociale" in evidence and evidence.startswith("…")


def test_sentences_keep_legal_references_whole() -> None:
    assert sentences("Voir art. 20 de la loi. Puis L. 2113-12 du code.") == [
        "Voir art. 20 de la loi.",
        "Puis L. 2113-12 du code.",
    ]


def _notice(**update: object) -> Notice:
    base = Notice(
        uid="test:1",
        source="test",
        native_id="1",
        kind=NoticeKind.TENDER,
        title="Entretien des espaces verts",
    )
    return base.model_copy(update=update)


def test_text_sets_reserved_and_social_with_evidence() -> None:
    notice = _notice(
        description="Marché réservé aux ESAT (L2113-12). Clause sociale : 200 heures d'insertion."
    )
    out = apply_text_signals(notice)
    assert (out.reserved, out.reserved_kinds, out.social_clause) == (True, [SW], True)
    assert out.evidence == Evidence(
        reserved=["Marché réservé aux ESAT (L2113-12)."],
        social_clause=["Clause sociale : 200 heures d'insertion."],
    )
    assert notice.reserved is None  # a copy, the input is unchanged


def test_structured_values_survive_silent_text() -> None:
    notice = _notice(
        reserved=False,
        social_clause=True,
        evidence=Evidence(reserved=["MARCHE_RESERVE_NON"], social_clause=["X"]),
    )
    assert apply_text_signals(notice) == notice


def test_text_never_turns_structured_true_into_false() -> None:
    notice = _notice(
        reserved=True,
        reserved_kinds=[INS],
        evidence=Evidence(reserved=["BT-71 res-ws"]),
        description="Le marché n'est pas réservé.",
    )
    out = apply_text_signals(notice)
    assert (out.reserved, out.reserved_kinds, out.evidence.reserved) == (
        True,
        [INS],
        ["BT-71 res-ws"],
    )


def test_text_true_overrides_structured_false_and_keeps_both_evidences() -> None:
    notice = _notice(
        reserved=False,
        evidence=Evidence(reserved=["MARCHE_RESERVE_NON"]),
        description="Lot 2 réservé aux SIAE.",
    )
    out = apply_text_signals(notice)
    assert out.reserved is True and out.reserved_kinds == [INS]
    assert out.evidence.reserved == ["MARCHE_RESERVE_NON", "Lot 2 réservé aux SIAE."]


def test_negative_text_fills_unknown_only() -> None:
    out = apply_text_signals(_notice(description="Aucune clause sociale n'est prévue."))
    assert out.social_clause is False
    assert out.evidence.social_clause == ["Aucune clause sociale n'est prévue."]


def test_lot_text_marks_the_lot_and_the_notice() -> None:
    lots = [
        Lot(id="1", title="Tonte"),
        Lot(id="2", title="Taille des haies", description="Lot réservé aux entreprises adaptées."),
        Lot(id="3", title="Élagage", description="Ce lot n'est pas réservé."),
    ]
    out = apply_text_signals(_notice(lots=lots))
    assert [(lot.reserved, lot.reserved_kinds) for lot in out.lots] == [
        (None, []),
        (True, [SW]),
        (False, []),
    ]
    assert out.reserved is True and out.reserved_kinds == [SW]
    assert out.evidence.reserved == ["Lot réservé aux entreprises adaptées."]


def test_a_lot_saying_not_reserved_does_not_decide_the_notice() -> None:
    out = apply_text_signals(_notice(lots=[Lot(id="1", description="Ce lot n'est pas réservé.")]))
    assert out.reserved is None and out.evidence.reserved == []


def test_idempotent() -> None:
    notice = _notice(description="Marché réservé aux ESAT. Clause d'insertion.")
    once = apply_text_signals(notice)
    assert apply_text_signals(once) == once


def test_positive_statement_wins_and_keeps_only_its_evidence() -> None:
    signals = detect("Le lot 1 n'est pas réservé. Lot 2 réservé aux SIAE.")
    assert (signals.reserved, signals.kinds) == (True, [INS])
    assert signals.reserved_evidence == ["Lot 2 réservé aux SIAE."]
