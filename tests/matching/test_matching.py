"""The hybrid matcher on constructed actors and notices, with a deterministic bag-of-words embedder.

The fake embedder hashes folded words into 64 dimensions: texts sharing words get a high cosine,
unrelated ones a cosine near 0, so every assertion below is reproducible without the model.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest
from fakes import HashEmbedder

from veilleuse.config.settings import MatchingSettings
from veilleuse.core import geo
from veilleuse.core.models import (
    Actor,
    CpvInterest,
    EssFamily,
    Lot,
    Notice,
    NoticeKind,
    NoticeStatus,
    Places,
    ReservedKind,
    Territory,
)
from veilleuse.matching.cpv import (
    best_cpv_pair,
    closeness_matrix,
    cpv_closeness,
    cpv_display,
    cpv_label,
)
from veilleuse.matching.lexical import Lexicon, stems
from veilleuse.matching.matching import (
    MatchInputs,
    actor_text,
    lot_text,
    match,
    prepare_inputs,
)
from veilleuse.matching.reasons import reason_text
from veilleuse.matching.territory import territory_fit, territory_matrix

TODAY = date(2026, 11, 23)
SOON = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


def actor(
    ident: str, family: EssFamily, description: str, cpv: list[str], deps: list[str], **kw: object
) -> Actor:
    return Actor(
        id=ident,
        name=kw.pop("name", ident.replace("-", " ").title()),  # type: ignore[arg-type]
        family=family,
        description=description,
        cpv_interests=[CpvInterest(code=c) for c in cpv],
        territory=Territory(departments=deps),
        **kw,  # type: ignore[arg-type]
    )


def notice(uid: str, title: str, cpv: list[str], deps: list[str], **kw: object) -> Notice:
    fields: dict[str, object] = {
        "uid": uid,
        "source": uid.split(":")[0],
        "native_id": uid.split(":")[1],
        "kind": NoticeKind.TENDER,
        "title": title,
        "cpv": cpv,
        "places": Places(departments=deps),
        "deadline": SOON,
    }
    fields.update(kw)
    return Notice.model_validate(fields)


GREEN = actor(
    "jardins-du-nord",
    EssFamily.SIAE_ACI,
    "Entretien d'espaces verts, tonte et débroussaillage, taille de haies pour les communes",
    ["77310000"],
    ["59"],
    name="Les Jardins du Nord",
)
CLEAN = actor(
    "proprete-62",
    EssFamily.EA,
    "Nettoyage de bureaux et de locaux administratifs, nettoyage de vitres",
    ["90919200"],
    ["62"],
)
FOOD = actor(
    "cuisine-solidaire",
    EssFamily.ASSOCIATION,
    "Préparation de repas pour la restauration collective, cantines scolaires et portage de repas",
    ["55321000"],
    ["13"],
)

N_GREEN = notice(
    "boamp:1",
    "Entretien des espaces verts de la commune : tonte, débroussaillage et taille de haies",
    ["77310000"],
    ["59"],
)
N_CLEAN = notice(
    "boamp:2", "Nettoyage des bureaux et des vitres de la mairie", ["90919200"], ["62"]
)
N_FOOD = notice(
    "boamp:3", "Préparation et livraison de repas pour les cantines scolaires", ["55321000"], ["13"]
)


def run(actors: list[Actor], notices: list[Notice], **settings: object):  # type: ignore[no-untyped-def]
    inputs = prepare_inputs(actors, notices, HashEmbedder())
    return match(inputs, MatchingSettings(**settings), today=TODAY)  # type: ignore[arg-type]


def by_pair(matches):  # type: ignore[no-untyped-def]
    return {(m.actor_id, m.notice_uid): m for m in matches}


# --------------------------------------------------------------------------- basics


def test_each_actor_gets_its_own_notice_with_a_score_in_range() -> None:
    found = by_pair(run([GREEN, CLEAN, FOOD], [N_GREEN, N_CLEAN, N_FOOD]))
    assert set(found) == {
        ("jardins-du-nord", "boamp:1"),
        ("proprete-62", "boamp:2"),
        ("cuisine-solidaire", "boamp:3"),
    }
    for m in found.values():
        assert 0 <= m.score <= 100
        assert set(m.components) == {"semantic", "lexical", "cpv", "territory", "reserved"}
        assert all(0.0 <= v <= 1.0 for v in m.components.values())
        assert m.score == pytest.approx(sum(r.weight for r in m.reasons), abs=0.3)


def test_reasons_are_french_sentences_naming_activity_cpv_and_place() -> None:
    m = by_pair(run([GREEN], [N_GREEN]))[("jardins-du-nord", "boamp:1")]
    texts = [reason_text(r) for r in m.reasons]
    assert m.components["cpv"] == 1.0
    assert m.components["territory"] == 1.0
    assert "Code CPV de vos activités : 77310000 Réalisation et entretien d'espaces verts" in texts
    assert "Dans votre département (Nord)" in texts
    assert any(t.startswith("Votre activité « entretien d'espaces verts") for t in texts)
    assert any(t.startswith("Mots en commun avec votre profil : ") for t in texts)
    # SOON is 12:00 UTC: shown in Paris time, as in the digest's deadline line
    assert texts[-1] == "Date limite : 15 décembre 2026 à 13\u00a0h\u00a000"
    assert m.reasons[-1].params == {"deadline": "2026-12-15T12:00:00+00:00"}
    cpv = next(r for r in m.reasons if r.code == "cpv")
    assert cpv.params == {"code": "77310000", "closeness": 1.0}
    assert next(r for r in m.reasons if r.code == "territory").params == {
        "case": "department",
        "department": "59",
    }
    weights = [r.weight for r in m.reasons if r.weight]
    assert weights == sorted(weights, reverse=True)


def test_unrelated_actor_in_the_same_departement_is_not_matched() -> None:
    # territory alone never makes a match
    painter = actor(
        "peinture", EssFamily.SCOP, "Travaux de peinture et plâtrerie", ["45442100"], ["59"]
    )
    assert run([painter], [N_GREEN]) == []


# --------------------------------------------------------------------------- reservations


def test_reserved_bonus_only_for_eligible_families() -> None:
    reserved = N_GREEN.model_copy(
        update={"reserved": True, "reserved_kinds": [ReservedKind.INSERTION]}
    )
    association = GREEN.model_copy(update={"id": "asso-verte", "family": EssFamily.ASSOCIATION})
    found = by_pair(run([GREEN, association], [reserved]))
    m = found[("jardins-du-nord", "boamp:1")]
    assert m.components["reserved"] == 1.0
    assert (
        "Marché réservé aux structures d'insertion par l'activité économique : vous êtes éligible"
        in [reason_text(r) for r in m.reasons]
    )
    # an association cannot answer a contract reserved to SIAE: no match at all
    assert ("asso-verte", "boamp:1") not in found
    # without the reservation, the ACI gets no bonus
    plain = by_pair(run([GREEN], [N_GREEN]))[("jardins-du-nord", "boamp:1")]
    assert plain.components["reserved"] == 0.0
    assert m.score > plain.score


def test_sheltered_and_ess_reservations() -> None:
    sheltered = N_CLEAN.model_copy(
        update={"reserved": True, "reserved_kinds": [ReservedKind.SHELTERED_WORKSHOP]}
    )
    ess = N_CLEAN.model_copy(
        update={"uid": "boamp:9", "reserved": True, "reserved_kinds": [ReservedKind.ESS]}
    )
    scop = CLEAN.model_copy(update={"id": "scop-net", "family": EssFamily.SCOP})
    found = by_pair(run([CLEAN, scop], [sheltered, ess]))
    assert found[("proprete-62", "boamp:2")].components["reserved"] == 1.0
    assert ("scop-net", "boamp:2") not in found  # a SCOP is not a sheltered workshop
    assert found[("scop-net", "boamp:9")].components["reserved"] == 1.0


def test_social_clause_favours_insertion_structures() -> None:
    clause = N_GREEN.model_copy(update={"social_clause": True})
    association = GREEN.model_copy(update={"id": "asso-verte", "family": EssFamily.ASSOCIATION})
    found = by_pair(run([GREEN, association], [clause]))
    aci = found[("jardins-du-nord", "boamp:1")]
    asso = found[("asso-verte", "boamp:1")]
    assert aci.components["reserved"] == 0.6
    assert asso.components["reserved"] == 0.3
    assert "Clause sociale d'insertion : un atout pour votre structure" in [
        reason_text(r) for r in aci.reasons
    ]


# --------------------------------------------------------------------------- what is never matched


@pytest.mark.parametrize(
    ("update", "kept"),
    [
        ({"deadline": date(2026, 11, 22)}, False),  # expired yesterday
        ({"deadline": datetime(2026, 11, 22, 23, 0, tzinfo=UTC)}, False),
        ({"deadline": date(2026, 11, 23)}, True),  # closes today: still open
        ({"deadline": None}, True),
        ({"kind": NoticeKind.AWARD}, False),
        ({"status": NoticeStatus.CLOSED}, False),
        ({"status": NoticeStatus.CANCELLED}, False),
        ({"kind": NoticeKind.PIN}, True),
    ],
)
def test_expired_awarded_and_closed_notices_are_never_matched(update: dict, kept: bool) -> None:
    changed = N_GREEN.model_copy(update=update)
    assert bool(run([GREEN], [changed])) is kept


def test_rejected_pairs_are_left_out() -> None:
    inputs = prepare_inputs([GREEN, CLEAN], [N_GREEN, N_CLEAN], HashEmbedder())
    found = match(
        inputs, MatchingSettings(), today=TODAY, rejected={("jardins-du-nord", "boamp:1")}
    )
    assert ("jardins-du-nord", "boamp:1") not in by_pair(found)
    assert ("proprete-62", "boamp:2") in by_pair(found)


# --------------------------------------------------------------------------- ranking


def _green_notices() -> list[Notice]:
    words = [
        "tonte",
        "débroussaillage",
        "taille de haies",
        "espaces verts",
        "élagage",
        "fleurissement",
    ]
    return [
        notice(f"boamp:g{i}", "Entretien " + " et ".join(words[: i + 1]), ["77310000"], ["59"])
        for i in range(len(words))
    ]


def test_top_k_keeps_the_best_matches_per_actor() -> None:
    notices = _green_notices()
    full = [m for m in run([GREEN], notices, top_k=50, min_score=0) if m.actor_id == GREEN.id]
    assert len(full) == len(notices)
    best_two = run([GREEN], notices, top_k=2, min_score=0)
    assert [m.notice_uid for m in best_two] == [m.notice_uid for m in full[:2]]
    assert [m.score for m in full] == sorted((m.score for m in full), reverse=True)


def test_min_score_filters() -> None:
    notices = _green_notices()
    scores = [m.score for m in run([GREEN], notices, top_k=50, min_score=0)]
    cut = sorted(scores)[len(scores) // 2]
    kept = run([GREEN], notices, top_k=50, min_score=cut)
    assert kept and all(m.score >= cut for m in kept)
    assert len(kept) == sum(1 for s in scores if s >= cut)


# --------------------------------------------------------------------------- lots


MULTI = notice(
    "ted:7",
    "Entretien des espaces publics de la ville",
    ["77310000", "90919200"],
    ["59"],
    lots=[
        Lot(id="LOT-0001", title="Nettoyage des bureaux de la mairie", cpv=["90919200"]),
        Lot(id="LOT-0002", title="Tonte et débroussaillage", cpv=["77310000"]),
    ],
)


def test_multi_lot_match_names_the_fitting_lot() -> None:
    found = by_pair(run([GREEN, CLEAN], [MULTI]))
    green = found[("jardins-du-nord", "ted:7")]
    assert green.lot_ids == ["LOT-0002"]
    assert any(
        reason_text(r).startswith("Votre activité « ")
        and reason_text(r).endswith("» correspond au lot 2 « Tonte et débroussaillage »")
        for r in green.reasons
    )
    clean = found[("proprete-62", "ted:7")]
    assert clean.lot_ids == ["LOT-0001"]
    assert clean.components["territory"] == 0.6  # Pas-de-Calais borders Nord
    assert "Département voisin du vôtre (Nord)" in [reason_text(r) for r in clean.reasons]


def test_a_lot_reserved_to_others_is_not_offered() -> None:
    lots = [
        MULTI.lots[0],
        MULTI.lots[1].model_copy(
            update={"reserved": True, "reserved_kinds": [ReservedKind.SHELTERED_WORKSHOP]}
        ),
    ]
    reserved = MULTI.model_copy(update={"lots": lots})
    association = GREEN.model_copy(update={"id": "asso-verte", "family": EssFamily.ASSOCIATION})
    found = by_pair(run([GREEN, association], [reserved]))
    assert found[("jardins-du-nord", "ted:7")].lot_ids == ["LOT-0002"]
    assert found[("jardins-du-nord", "ted:7")].components["reserved"] == 1.0
    # the association may only bid for the cleaning lot, which is not its trade: no match
    assert ("asso-verte", "ted:7") not in found


def test_prepare_inputs_embeds_lots_of_multi_lot_notices_only() -> None:
    inputs = prepare_inputs([GREEN], [N_GREEN, MULTI], HashEmbedder())
    assert inputs.actor_vectors.shape == (1, 64)
    assert inputs.notice_vectors.shape == (2, 64)
    assert set(inputs.lot_vectors) == {"ted:7"}
    assert inputs.lot_vectors["ted:7"].shape == (2, 64)
    assert "Réalisation et entretien d'espaces verts" in actor_text(GREEN)
    assert (
        lot_text(MULTI.lots[1], MULTI)
        == "Tonte et débroussaillage — Entretien des espaces publics de la ville"
    )


# --------------------------------------------------------------------------- funding calls


def _call(audiences: list[str], deps: list[str]) -> Notice:
    return notice(
        "aides-territoires:5",
        "Appel à projets : restauration collective et repas pour les cantines scolaires",
        [],
        deps,
        kind=NoticeKind.FUNDING_CALL,
        audiences=audiences,
    )


def test_funding_calls_are_matched_on_audiences() -> None:
    scop = FOOD.model_copy(update={"id": "scop-repas", "family": EssFamily.SCOP})
    found = by_pair(run([FOOD, scop], [_call(["associations", "local_authorities"], ["13"])]))
    m = found[("cuisine-solidaire", "aides-territoires:5")]
    assert m.components["audience"] == 1.0
    assert "cpv" not in [r.code for r in m.reasons]
    assert "Appel ouvert aux associations : c'est votre cas" in [reason_text(r) for r in m.reasons]
    assert ("scop-repas", "aides-territoires:5") not in found
    companies = by_pair(run([scop], [_call(["companies"], ["13"])]))
    assert "Appel ouvert aux entreprises : c'est votre cas" in [
        reason_text(r) for r in companies[("scop-repas", "aides-territoires:5")].reasons
    ]


def test_funding_call_outside_the_territory_is_not_matched() -> None:
    assert run([FOOD], [_call(["associations"], ["59"])]) == []
    national = run([FOOD], [_call([], [])])
    assert national[0].components["territory"] == 0.5
    assert national[0].components["audience"] == 0.5


# --------------------------------------------------------------------------- vectorised = per pair


def test_territory_matrix_agrees_with_territory_fit() -> None:
    far = actor("loin", EssFamily.SCOP, "x", [], ["33"])
    nowhere = actor("nulle-part", EssFamily.SCOP, "x", [], [])
    radius = Actor(
        id="rayon",
        name="Rayon",
        family=EssFamily.SCOP,
        territory=Territory(departments=["33"], latitude=50.63, longitude=3.06, radius_km=120),
    )
    actors = [GREEN, CLEAN, far, nowhere, radius]
    places = [["59"], ["62"], ["80"], [], ["33", "59"], ["75"]]
    matrix = territory_matrix(actors, places)
    for i, a in enumerate(actors):
        for j, deps in enumerate(places):
            assert matrix[i, j] == pytest.approx(territory_fit(a, deps)[0]), (a.id, deps)
    value, params = territory_fit(radius, ["62"])  # Lille → Arras, about 45 km
    assert value == 0.8
    assert params["case"] == "radius" and params["department"] == "62"
    assert 30 <= params["km"] < 50
    assert "62" in geo.neighbours("59")


def test_lexical_matrix_agrees_with_pairwise_similarity() -> None:
    texts = [N_GREEN.title, N_CLEAN.title, N_FOOD.title]
    lexicon = Lexicon.from_texts(texts)
    left = [stems(a.description) for a in (GREEN, CLEAN, FOOD)]
    right = [stems(t) for t in texts]
    matrix = lexicon.similarity_matrix(left, right)
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            assert matrix[i, j] == pytest.approx(lexicon.similarity(a, b), abs=1e-5)
    assert matrix[0, 0] > 0.5 and matrix[0, 1] == 0.0


def test_stems_fold_plurals_and_verbs_together() -> None:
    assert stems("Nettoyage des espaces verts") & stems("nettoyer un espace vert") == {
        "nettoy",
        "espac",
        "vert",
    }
    assert stems("le lot du marché pour la commune") == {"commun"}


# --------------------------------------------------------------------------- CPV


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("77310000", "77310000", 1.0),
        ("77311000", "77312000", 0.8),  # class 7731
        ("77310000", "77340000", 0.6),  # group 773
        ("77310000", "77211000", 0.4),  # division 77
        ("77310000", "90910000", 0.0),
    ],
)
def test_cpv_closeness_levels(a: str, b: str, expected: float) -> None:
    assert cpv_closeness(a, b) == expected
    assert cpv_closeness(b, a) == expected


def test_cpv_matrix_is_the_best_pairwise_closeness() -> None:
    actors = [["77310000", "90919200"], ["45442100"], []]
    notices = [["77312000"], ["90910000", "45000000"], ["55321000"], []]
    matrix = closeness_matrix(actors, notices)
    for i, a in enumerate(actors):
        for j, n in enumerate(notices):
            assert matrix[i, j] == pytest.approx(best_cpv_pair(a, n)[0])
    assert best_cpv_pair(["90919200"], ["90910000", "90919200"]) == (1.0, "90919200", "90919200")


def test_cpv_labels_in_french() -> None:
    assert cpv_label("77310000") == "Réalisation et entretien d'espaces verts"
    assert cpv_label("90919200-4") == "Services de nettoyage de bureaux"
    assert cpv_label("99999999") is None
    assert cpv_display("55321000") == "55321000 Services de préparation de repas"
    assert cpv_display("99999999") == "99999999"


def test_match_inputs_shape_is_a_plain_dataclass() -> None:
    inputs = MatchInputs(
        [GREEN], [N_GREEN], np.ones((1, 2)) / np.sqrt(2), np.ones((1, 2)) / np.sqrt(2)
    )
    assert inputs.lot_vectors == {}
    assert (
        match(
            MatchInputs([], [], np.zeros((0, 2)), np.zeros((0, 2))), MatchingSettings(), today=TODAY
        )
        == []
    )


def test_lots_met_by_the_same_activity_share_one_sentence() -> None:
    towing = actor(
        "remorquage",
        EssFamily.SIAE_EI,
        "Remorquage de véhicules légers et de poids lourds",
        ["50118110"],
        ["75"],
    )
    tender = notice(
        "boamp:16-186394",
        "Prestations de remorquage pour les véhicules de la ville de Paris",
        ["50118110"],
        ["75"],
        lots=[
            Lot(id="1", title="Remorquage des véhicules légers", cpv=["50118110"]),
            Lot(id="2", title="Remorquage des poids lourds", cpv=["50118110"]),
        ],
    )
    [m] = run([towing], [tender])
    assert sorted(m.lot_ids) == ["1", "2"]
    lot_reasons = [reason_text(r) for r in m.reasons if r.code == "lot"]
    assert len(lot_reasons) == 1
    assert re.fullmatch(
        r"Votre activité « .+ » correspond aux lots [12] « Remorquage des .+ » et [12] « Remorquage des .+ »",
        lot_reasons[0],
    )


def test_a_reserved_lot_does_not_exclude_an_actor_from_the_other_lots() -> None:
    """Lot 2 reserved to insertion structures; an adapted company still matches lot 1."""
    notice = Notice(
        uid="boamp:lots",
        source="boamp",
        native_id="lots",
        kind=NoticeKind.TENDER,
        title="Nettoyage des locaux et entretien des espaces verts",
        places=Places(departments=["59"]),
        reserved=True,
        reserved_kinds=[ReservedKind.INSERTION],
        lots=[
            Lot(id="1", title="Nettoyage des locaux", cpv=["90911200"]),
            Lot(
                id="2",
                title="Entretien des espaces verts",
                cpv=["77310000"],
                reserved=True,
                reserved_kinds=[ReservedKind.INSERTION],
            ),
        ],
    ).with_hash()
    actor = Actor(
        id="ea",
        name="EA Propreté",
        family=EssFamily.EA,
        description="Nettoyage de locaux et de bureaux",
        cpv_interests=[CpvInterest(code="90911200")],
        territory=Territory(departments=["59"]),
    )
    embedder = HashEmbedder()
    inputs = prepare_inputs([actor], [notice], embedder)
    (found,) = match(inputs, MatchingSettings(min_score=0), today=date(2026, 1, 1))
    assert found.lot_ids == ["1"]
    assert not any("vous êtes éligible" in reason_text(r) for r in found.reasons)
