"""Reasons are data; `reason_text` is the one place that words them in French.

Actors, notices and reasons are constructed for these tests (no recorded match exists).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from fakes import HashEmbedder

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.models import (
    Actor,
    CpvInterest,
    EssFamily,
    GroupedBidSuggestion,
    Lot,
    Match,
    Notice,
    NoticeKind,
    Places,
    Reason,
    ReservedKind,
    Territory,
)
from veilleuse.matching.explain import audience_fit, reservation_fit, territory_params
from veilleuse.matching.matching import match, prepare_inputs
from veilleuse.matching.reasons import reason_text


def text(code: str, params: dict[str, object]) -> str:
    return reason_text(Reason(code=code, params=params))


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        (
            "lot",
            {"activity": "nettoyage de locaux", "lots": [{"id": "LOT-0002", "title": "Vitres"}]},
            "Votre activité « nettoyage de locaux » correspond au lot 2 « Vitres »",
        ),
        (
            "lot",
            {"activity": None, "lots": [{"id": "1", "title": None}, {"id": "2", "title": "B"}]},
            "Vos activités correspondent aux lots 1 et 2 « B »",
        ),
        (
            "lot",
            {"activity": "x", "lots": [{"id": "A", "title": "é" * 90}]},
            f"Votre activité « x » correspond au lot A « {'é' * 79}… »",
        ),
        (
            "semantic",
            {"activity": "portage de repas", "kind": "funding_call"},
            "Votre activité « portage de repas » correspond à cet appel",
        ),
        (
            "semantic",
            {"activity": None, "kind": "tender"},
            "Le sujet de ce marché est proche de vos activités",
        ),
        (
            "lexical",
            {"words": ["tonte", "haies"]},
            "Mots en commun avec votre profil : tonte, haies",
        ),
        (
            "cpv",
            {"code": "77310000", "closeness": 1.0},
            "Code CPV de vos activités : 77310000 Réalisation et entretien d'espaces verts",
        ),
        (
            "cpv",
            {"code": "99999999", "closeness": 0.8},
            "Code CPV proche de vos activités : 99999999",
        ),
        (
            "cpv",
            {"code": "99999999", "closeness": 0.4},
            "Code CPV du même domaine que vos activités : 99999999",
        ),
        (
            "reserved",
            {"case": "eligible", "kind": "insertion"},
            "Marché réservé aux structures d'insertion par l'activité économique : vous êtes éligible",
        ),
        (
            "reserved",
            {"case": "check", "kind": "public_service_mission"},
            "Marché réservé aux organismes à mission de service public : vérifiez votre éligibilité",
        ),
        ("reserved", {"case": "unspecified"}, "Marché réservé : vérifiez à qui il est ouvert"),
        (
            "reserved",
            {"case": "insertion_clause"},
            "Clause sociale d'insertion : un atout pour votre structure",
        ),
        (
            "reserved",
            {"case": "social_clause"},
            "Clause sociale : votre projet social est un atout",
        ),
        (
            "audience",
            {"audience": "Associations"},
            "Appel ouvert aux associations : c'est votre cas",
        ),
        ("audience", {"audience": "companies"}, "Appel ouvert aux entreprises : c'est votre cas"),
        ("audience", {"audience": "ESS"}, "Appel ouvert aux ess : c'est votre cas"),
        ("deadline", {"deadline": "2026-12-01"}, "Date limite : 1er décembre 2026"),
        ("pushed", {"note": None}, "Signalé pour vous par votre chargé·e de veille"),
        (
            "pushed",
            {"note": "à voir avec Paul"},
            "Signalé pour vous par votre chargé·e de veille : « à voir avec Paul »",
        ),
        ("pushed", {}, "Signalé pour vous par votre chargé·e de veille"),
        ("pushed", {"note": "  "}, "Signalé pour vous par votre chargé·e de veille"),
        (
            "pushed",
            {"note": " Le lot 1 est pour vous\n", "by": "Camille Martin"},
            "Signalé pour vous par Camille Martin, votre chargé·e de veille : "
            "« Le lot 1 est pour vous »",
        ),
        (
            "pushed",
            {"note": None, "by": "Camille Martin"},
            "Signalé pour vous par Camille Martin, votre chargé·e de veille",
        ),
        ("pushed", {"note": None, "by": None}, "Signalé pour vous par votre chargé·e de veille"),
        (
            "coverage",
            {"covered": 3, "units": 3, "share": 1.0},
            "L'équipe couvre 3 lots sur 3 (100 % du montant estimé)",
        ),
        (
            "coverage",
            {"covered": 1, "units": 3, "share": None, "actor_id": "a", "name": "Jardins"},
            "Seul, le meilleur candidat (Jardins) couvre 1 lot sur 3",
        ),
        (
            "lead",
            {"actor_id": "c", "name": "Cuisine", "lots": 1, "staff": 30},
            "Mandataire proposé : Cuisine (porte 1 lot(s), 30 salariés)",
        ),
        (
            "lead",
            {"actor_id": "c", "name": "Cuisine", "lots": 2, "staff": None},
            "Mandataire proposé : Cuisine (porte 2 lot(s))",
        ),
        (
            "proximity",
            {
                "close": True,
                "places": [
                    {"department": "59", "commune": None},
                    {"department": "59", "commune": "Lille"},
                    {"department": "62", "commune": None},
                ],
            },
            "Membres proches les uns des autres : Nord, Pas-de-Calais",
        ),
        (
            "proximity",
            {"close": False, "places": [{"department": None, "commune": "Arles"}, {}]},
            "Membres sur plusieurs territoires : Arles, territoire non renseigné",
        ),
    ],
)
def test_each_code_in_french(code: str, params: dict[str, object], expected: str) -> None:
    assert text(code, params) == expected


def test_unknown_code_without_text_is_empty_and_legacy_text_is_shown() -> None:
    assert text("not-a-code", {"x": 1}) == ""
    legacy = Reason.model_validate({"code": "territory", "text": "Dans votre territoire (44)"})
    assert reason_text(legacy) == "Dans votre territoire (44)"


def test_eligibility_rules_return_reason_params() -> None:
    esat = Actor(id="e", name="E", family=EssFamily.ESAT)
    scop = Actor(id="s", name="S", family=EssFamily.SCOP)
    assert reservation_fit(esat, True, [ReservedKind.SHELTERED_WORKSHOP], None) == (
        1.0,
        {"case": "eligible", "kind": "sheltered_workshop"},
    )
    assert reservation_fit(scop, True, [ReservedKind.INSERTION], None) == (None, None)
    assert reservation_fit(scop, None, [], True) == (0.3, {"case": "social_clause"})
    assert reservation_fit(scop, None, [], None) == (0.0, None)
    assert audience_fit(esat, ["Associations"]) == (1.0, {"audience": "Associations"})
    assert audience_fit(esat, []) == (0.5, None)


def test_territory_reasons_in_french() -> None:
    near = Actor(id="n", name="N", family=EssFamily.SCOP, territory=Territory(departments=["59"]))
    far = Actor(id="f", name="F", family=EssFamily.SCOP, territory=Territory(departments=["33"]))
    nowhere = Actor(id="x", name="X", family=EssFamily.SCOP)
    expected = [
        (near, ["59"], "Dans votre département (Nord)"),
        (near, ["62"], "Département voisin du vôtre (Pas-de-Calais)"),
        (near, [], "Lieu d'exécution national ou non précisé"),
        (nowhere, ["59"], "Territoire de votre structure non renseigné"),
        (far, ["75"], "Hors de votre territoire (Paris)"),
    ]
    for actor, deps, sentence in expected:
        assert text("territory", territory_params(actor, deps)) == sentence


def _actor(ident: str, family: EssFamily, description: str, cpv: str, dep: str) -> Actor:
    return Actor(
        id=ident,
        name=ident.title(),
        family=family,
        description=description,
        cpv_interests=[CpvInterest(code=cpv)],
        territory=Territory(departments=[dep]),
    )


def test_stored_matches_hold_data_and_read_the_same_after_a_round_trip() -> None:
    green = _actor(
        "jardins", EssFamily.SIAE_ACI, "Tonte, débroussaillage et taille de haies", "77310000", "59"
    )
    tender = Notice(
        uid="ted:1",
        source="ted",
        native_id="1",
        kind=NoticeKind.TENDER,
        title="Entretien des espaces verts : tonte et débroussaillage",
        cpv=["77310000"],
        places=Places(departments=["62"]),
        social_clause=True,
        deadline="2026-12-15T12:00:00Z",
        lots=[
            Lot(id="LOT-0001", title="Tonte et débroussaillage", cpv=["77310000"]),
            Lot(id="LOT-0002", title="Nettoyage des bureaux", cpv=["90919200"]),
        ],
    )
    inputs = prepare_inputs([green], [tender], HashEmbedder())
    [found] = match(inputs, MatchingSettings(min_score=0), today=date(2026, 11, 23))
    payload = json.loads(json.dumps(found.model_dump(mode="json")))
    assert all(set(r) == {"code", "params", "weight"} for r in payload["reasons"])
    codes = [r["code"] for r in payload["reasons"]]
    assert {"lot", "territory", "reserved", "deadline"} <= set(codes)
    again = Match.model_validate(payload)
    assert [reason_text(r) for r in again.reasons] == [reason_text(r) for r in found.reasons]
    assert "Clause sociale d'insertion : un atout pour votre structure" in [
        reason_text(r) for r in again.reasons
    ]


def test_a_pushed_reason_is_data_that_survives_storage() -> None:
    """A push's reason keeps the officer's note and name as parameters (prose in `text` is never
    written, so a pushed line read back from JSON would lose it)."""
    pushed = Reason(code="pushed", params={"note": "Le lot 1 est pour vous", "by": "Camille"})
    stored = Match(actor_id="a", notice_uid="x:1", score=0.0, reasons=[pushed])
    again = Match.model_validate_json(stored.model_dump_json())
    assert again.reasons == [pushed]
    assert reason_text(again.reasons[0]) == (
        "Signalé pour vous par Camille, votre chargé·e de veille : « Le lot 1 est pour vous »"
    )


def test_grouped_bid_reasons_round_trip() -> None:
    suggestion = GroupedBidSuggestion(
        notice_uid="boamp:1",
        members=["a", "b"],
        lead="a",
        assignments=[],
        coverage=0.75,
        score=80,
        reasons=[
            Reason(code="coverage", params={"covered": 2, "units": 3, "share": 0.75}, weight=75),
            Reason(code="proximity", params={"close": True, "places": [{"department": "13"}]}),
        ],
    )
    again = GroupedBidSuggestion.model_validate_json(suggestion.model_dump_json())
    assert [reason_text(r) for r in again.reasons] == [
        "L'équipe couvre 2 lots sur 3 (75 % du montant estimé)",
        "Membres proches les uns des autres : Bouches-du-Rhône",
    ]
