"""Grouped-bid suggestions on constructed multi-lot tenders (fake bag-of-words embedder)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from fakes import HashEmbedder

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.models import (
    Actor,
    Capacity,
    CpvInterest,
    EssFamily,
    GroupedBidSuggestion,
    Lot,
    Match,
    Money,
    Notice,
    NoticeKind,
    Places,
    Reason,
    Territory,
)
from veilleuse.matching.consortia import (
    lot_fit_matrix,
    suggest_grouped_bids,
    suggest_partners,
    suggest_teams,
    work_units,
)
from veilleuse.matching.lexical import Lexicon, notice_words
from veilleuse.matching.lots import lot_fits
from veilleuse.matching.matching import match, prepare_inputs
from veilleuse.matching.reasons import reason_text

TODAY = date(2026, 11, 23)
WEIGHTS = MatchingSettings()


def make_actor(
    ident: str,
    family: EssFamily,
    description: str,
    cpv: list[str],
    deps: list[str],
    staff: int,
    turnover: float,
) -> Actor:
    return Actor(
        id=ident,
        name=ident.replace("-", " ").title(),
        family=family,
        description=description,
        cpv_interests=[CpvInterest(code=c) for c in cpv],
        territory=Territory(departments=deps),
        capacity=Capacity(staff=staff, turnover=turnover),
    )


GREEN = make_actor(
    "jardins",
    EssFamily.SIAE_ACI,
    "Entretien d'espaces verts, tonte et débroussaillage, taille de haies",
    ["77310000"],
    ["59"],
    20,
    400_000,
)
CLEAN = make_actor(
    "proprete",
    EssFamily.EA,
    "Nettoyage de bureaux et de locaux, nettoyage de vitres",
    ["90919200"],
    ["59"],
    60,
    1_500_000,
)
FOOD = make_actor(
    "cuisine",
    EssFamily.SCOP,
    "Préparation de repas pour la restauration collective et les cantines scolaires",
    ["55321000"],
    ["62"],
    30,
    900_000,
)


def three_lots(values: tuple[float, float, float] = (100_000, 150_000, 300_000)) -> Notice:
    titles = [
        ("Tonte et débroussaillage des espaces verts", "77310000"),
        ("Nettoyage des bureaux et des vitres", "90919200"),
        ("Préparation de repas pour les cantines scolaires", "55321000"),
    ]
    return Notice(
        uid="boamp:42",
        source="boamp",
        native_id="42",
        kind=NoticeKind.TENDER,
        title="Services aux équipements municipaux",
        cpv=["77310000", "90919200", "55321000"],
        places=Places(departments=["59"]),
        deadline=datetime(2026, 12, 15, 12, tzinfo=UTC),
        lots=[
            Lot(id=str(i + 1), title=t, cpv=[c], estimated_value=Money(amount=v))
            for i, ((t, c), v) in enumerate(zip(titles, values, strict=True))
        ],
    )


def plan(actors: list[Actor], notice: Notice, max_team_size: int = 4):  # type: ignore[no-untyped-def]
    inputs = prepare_inputs(actors, [notice], HashEmbedder())
    matches = match(inputs, WEIGHTS, today=TODAY)
    fit = lot_fit_matrix(inputs, notice, WEIGHTS)
    by_id = {a.id: a for a in actors}
    found = [m for m in matches if m.notice_uid == notice.uid]
    return suggest_teams(notice, found, by_id, fit, max_team_size), found, fit


def test_a_team_beats_the_best_single_actor_on_a_three_lot_tender() -> None:
    suggestion, matches, _ = plan([GREEN, CLEAN, FOOD], three_lots())
    assert {m.actor_id for m in matches} == {"jardins", "proprete", "cuisine"}
    assert suggestion is not None
    assert set(suggestion.members) == {"jardins", "proprete", "cuisine"}
    assert suggestion.coverage == 1.0
    assert {(a.lot_id, a.actor_id) for a in suggestion.assignments} == {
        ("1", "jardins"),
        ("2", "proprete"),
        ("3", "cuisine"),
    }
    assert suggestion.best_single_actor in {"jardins", "proprete", "cuisine"}
    assert 0 < suggestion.best_single_score < suggestion.score <= 100
    texts = [reason_text(r) for r in suggestion.reasons]
    assert "L'équipe couvre 3 lots sur 3 (100 % du montant estimé)" in texts
    assert any(t.startswith("Seul, le meilleur candidat (") and "1 lot sur 3" in t for t in texts)
    assert "Membres proches les uns des autres : Nord, Pas-de-Calais" in texts
    # why a member takes a lot is data, worded at display time
    green = next(a for a in suggestion.assignments if a.lot_id == "1")
    assert green.why.code == "assignment" and green.why.text is None
    assert green.why.params == {
        "actor_id": "jardins",
        "name": "Jardins",
        "activity": green.why.params["activity"],
        "fit": green.why.params["fit"],
        "place": {"department": "59", "commune": None},
        "reinforcement": False,
    }
    assert green.fit == round(green.why.params["fit"], 3)
    assert green.why.weight == round(100 * green.why.params["fit"], 1)
    why = {a.lot_id: reason_text(a.why) for a in suggestion.assignments}
    assert why["1"] == (
        f"Jardins : « {green.why.params['activity']} », "
        f"adéquation {green.why.params['fit'] * 100:.0f} %, Nord"
    )
    assert why["1"].startswith("Jardins : « ") and "adéquation" in why["1"]


def test_assignment_and_partner_reasons_are_worded_as_before() -> None:
    """The wording of the prose these reasons replace, parameter by parameter."""

    def assignment(**params: object) -> str:
        return reason_text(Reason(code="assignment", params=params))

    nord = {"department": "59", "commune": None}
    assert assignment(actor_id="a", name="Jardins", activity="tonte", fit=0.8349, place=nord) == (
        "Jardins : « tonte », adéquation 83 %, Nord"
    )
    assert assignment(
        name="Cuisine",
        activity=None,
        fit=1.0,
        place={"department": None, "commune": "Arras"},
        reinforcement=True,
    ) == (
        "Cuisine : adéquation 100 %, Arras — en renfort : le montant estimé dépasse la capacité "
        "d'un seul membre"
    )
    assert assignment(name="X", fit=0.5, place={}) == (
        "X : adéquation 50 %, territoire non renseigné"
    )

    def partner(**params: object) -> str:
        return reason_text(Reason(code="partner", params=params))

    assert partner(
        name="Scop 62", family="scop", place={"department": "62"}, complementary=True, near=True
    ) == ("Scop 62 (SCOP, Pas-de-Calais) — famille complémentaire, proche de chez vous")
    assert partner(
        name="Asso", family="siae_aci", place={"department": "33"}, complementary=False, near=False
    ) == ("Asso (chantier d'insertion, Gironde) — même famille, autre territoire")


def test_a_suggestion_stored_with_prose_still_loads_and_reads_the_same() -> None:
    """Suggestions stored before the explanations were data hold French prose in `why`."""
    stored = {
        "notice_uid": "boamp:42",
        "members": ["jardins", "proprete"],
        "lead": "jardins",
        "assignments": [
            {
                "lot_id": "1",
                "actor_id": "jardins",
                "fit": 0.9,
                "why": "Jardins : « tonte », adéquation 90 %, Nord",
            }
        ],
        "coverage": 0.5,
        "score": 40.0,
    }
    old = GroupedBidSuggestion.model_validate_json(json.dumps(stored))
    assert reason_text(old.assignments[0].why) == "Jardins : « tonte », adéquation 90 %, Nord"
    # a suggestion of this version survives storage as data
    suggestion, _, _ = plan([GREEN, CLEAN, FOOD], three_lots())
    assert suggestion is not None
    payload = json.loads(suggestion.model_dump_json())
    assert all(set(a["why"]) == {"code", "params", "weight"} for a in payload["assignments"])
    again = GroupedBidSuggestion.model_validate(payload)
    assert [reason_text(a.why) for a in again.assignments] == [
        reason_text(a.why) for a in suggestion.assignments
    ]


def test_lead_carries_the_largest_share_of_value() -> None:
    suggestion, _, _ = plan([GREEN, CLEAN, FOOD], three_lots((100_000, 150_000, 300_000)))
    assert suggestion is not None
    assert suggestion.lead == "cuisine"
    assert suggestion.members[0] == "cuisine"
    assert "Mandataire proposé : Cuisine (porte 1 lot(s), 30 salariés)" in [
        reason_text(r) for r in suggestion.reasons
    ]
    swapped, _, _ = plan([GREEN, CLEAN, FOOD], three_lots((100_000, 400_000, 300_000)))
    assert swapped is not None and swapped.lead == "proprete"


def test_lead_falls_back_on_capacity_when_values_are_unknown() -> None:
    notice = three_lots()
    notice = notice.model_copy(
        update={"lots": [lot.model_copy(update={"estimated_value": None}) for lot in notice.lots]}
    )
    suggestion, _, _ = plan([GREEN, CLEAN, FOOD], notice)
    assert suggestion is not None
    assert suggestion.lead == "proprete"  # largest turnover, each member carrying one lot
    assert "L'équipe couvre 3 lots sur 3" in [reason_text(r) for r in suggestion.reasons]


def test_no_team_when_one_actor_covers_everything() -> None:
    everything = make_actor(
        "multiservices",
        EssFamily.SIAE_EI,
        "Tonte et débroussaillage des espaces verts ; nettoyage des bureaux et des vitres ; "
        "préparation de repas pour les cantines scolaires",
        ["77310000", "90919200", "55321000"],
        ["59"],
        200,
        8_000_000,
    )
    suggestion, matches, fit = plan([everything, GREEN, CLEAN, FOOD], three_lots())
    assert "multiservices" in {m.actor_id for m in matches}
    assert all(fit[("multiservices", lot)] >= 0.4 for lot in ("1", "2", "3"))
    assert suggestion is None


def test_a_lot_too_big_for_one_member_gets_a_second_one() -> None:
    other_cook = make_actor(
        "cuisine-bis",
        EssFamily.ASSOCIATION,
        "Préparation de repas pour les cantines scolaires et la restauration collective",
        ["55321000"],
        ["59"],
        25,
        700_000,
    )
    suggestion, _, _ = plan(
        [GREEN, CLEAN, FOOD, other_cook], three_lots((100_000, 150_000, 1_400_000))
    )
    assert suggestion is not None
    cooks = [a for a in suggestion.assignments if a.lot_id == "3"]
    assert {a.actor_id for a in cooks} == {"cuisine", "cuisine-bis"}
    assert [a.why.params["reinforcement"] for a in cooks] == [False, True]
    assert "— en renfort : le montant estimé dépasse" in reason_text(cooks[1].why)
    assert "en renfort" not in reason_text(cooks[0].why)
    assert suggestion.lead in {"cuisine", "cuisine-bis"}


def test_team_size_is_capped() -> None:
    suggestion, _, _ = plan([GREEN, CLEAN, FOOD], three_lots(), max_team_size=2)
    assert suggestion is not None
    assert len(suggestion.members) == 2
    assert suggestion.coverage < 1.0


def test_lot_fit_matrix_agrees_with_matching() -> None:
    notice = three_lots()
    inputs = prepare_inputs([GREEN, CLEAN, FOOD], [notice], HashEmbedder())
    lexicon = Lexicon.from_texts([notice_words(notice)])
    fit = lot_fit_matrix(inputs, notice, WEIGHTS, lexicon=lexicon)
    for index, actor in enumerate(inputs.actors):
        for lf in lot_fits(
            actor,
            inputs.actor_vectors[index],
            notice,
            inputs.lot_vectors[notice.uid],
            WEIGHTS,
            lexicon,
        ):
            assert fit[(actor.id, lf.lot.id)] == lf.fit
    assert fit[("jardins", "1")] > fit[("jardins", "2")]


def test_work_units_split_a_broad_single_lot_tender_by_cpv_group() -> None:
    single = three_lots().model_copy(update={"lots": []})
    units = work_units(single)
    assert [u.id for u in units] == ["cpv-77310000", "cpv-90919200", "cpv-55321000"]
    assert units[0].title == "Réalisation et entretien d'espaces verts"
    narrow = single.model_copy(update={"cpv": ["77310000", "77312000"]})
    assert work_units(narrow) == []
    inputs = prepare_inputs([GREEN, CLEAN, FOOD], [single], HashEmbedder())
    fit = lot_fit_matrix(inputs, single, WEIGHTS)
    assert fit[("jardins", "cpv-77310000")] == 1.0
    assert fit[("jardins", "cpv-90919200")] == 0.0
    assert fit[("cuisine", "cpv-55321000")] == 0.6 + 0.4 * 0.6  # Pas-de-Calais borders Nord


def test_suggest_grouped_bids_runs_over_a_whole_run() -> None:
    notices = [three_lots()]
    inputs = prepare_inputs([GREEN, CLEAN, FOOD], notices, HashEmbedder())
    matches = match(inputs, WEIGHTS, today=TODAY)
    suggestions = suggest_grouped_bids(inputs, matches, WEIGHTS)
    assert [s.notice_uid for s in suggestions] == ["boamp:42"]


def test_partners_for_a_funding_call_prefer_other_families_nearby() -> None:
    call = Notice(
        uid="aap:1",
        source="aap",
        native_id="1",
        kind=NoticeKind.FUNDING_CALL,
        title="Appel à projets alimentation durable",
    )
    asso_59 = make_actor("asso-59", EssFamily.ASSOCIATION, "x", [], ["59"], 5, 100_000)
    asso_62 = make_actor("asso-62", EssFamily.ASSOCIATION, "x", [], ["62"], 5, 100_000)
    scop_62 = make_actor("scop-62", EssFamily.SCOP, "x", [], ["62"], 5, 100_000)
    scic_33 = make_actor("scic-33", EssFamily.SCIC, "x", [], ["33"], 5, 100_000)
    actors = {a.id: a for a in (asso_59, asso_62, scop_62, scic_33)}
    matches = [Match(actor_id=a, notice_uid="aap:1", score=60.0) for a in actors]
    partners = suggest_partners(call, matches, actors, k=2)
    assert [p.actor_id for p in partners["asso-59"]] == ["scop-62", "scic-33"]
    first = partners["asso-59"][0].why
    assert (first.code, first.weight) == ("partner", partners["asso-59"][0].score)
    assert first.params == {
        "actor_id": "scop-62",
        "name": "Scop 62",
        "family": "scop",
        "place": {"department": "62", "commune": None},
        "complementary": True,
        "near": True,
    }
    assert reason_text(first) == (
        "Scop 62 (SCOP, Pas-de-Calais) — famille complémentaire, proche de chez vous"
    )
    assert reason_text(partners["asso-59"][1].why) == (
        "Scic 33 (SCIC, Gironde) — famille complémentaire, autre territoire"
    )
    assert suggest_partners(three_lots(), matches, actors) == {}
