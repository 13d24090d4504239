"""Served territories from the administrative data: the demo's two presets and where its
actors go, the import of territory definitions, and the « Acheteurs du territoire » search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from test_support import DEMO_MEL_ACTORS as MEL
from test_support import DEMO_VALENCIENNES_ACTORS as VALENCIENNES
from veilleuse.app import territories, territory_teams
from veilleuse.app.actors import ensure_demo_actors
from veilleuse.app.context import Context
from veilleuse.app.search_params import parse_query_string
from veilleuse.app.territory_admin import import_territories, read_definitions, summarise
from veilleuse.app.territory_searches import buyers_query
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import Buyer, Match, Notice, NoticeKind
from veilleuse.core.models import GroupedBidSuggestion as Suggestion
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        ensure_demo_actors(context)
        yield context


def test_demo_presets_place_actors_where_they_are(ctx: Context) -> None:
    created, assigned = territories.seed_demo_territories(ctx)
    assert (created, assigned) == (2, 17)
    valenciennes = territories.get_territory(ctx, "valenciennes")
    assert valenciennes.epcis == ["245901160"] and valenciennes.departments == ["59"]
    assert territories.actor_ids_in(ctx, ["valenciennes"]) == VALENCIENNES
    assert territories.actor_ids_in(ctx, ["mel"]) == MEL
    # the 16 real insertion structures lie in the Pas-de-Calais, Bas-Rhin and Seine-Saint-Denis
    placed = territories.territories_of_actors(ctx, ["adsi-arras", "initiatives-solidaires"])
    assert placed == {}
    summary = summarise(ctx, valenciennes)
    assert len(summary.communes) == 35 and summary.actors == 9
    assert summary.epcis == {"245901160": "CA Valenciennes Métropole"}
    assert list(summary.communes)[:2] == ["59014", "59019"]  # Anzin, Artres: by name
    assert summary.unknown == []


def test_place_actors_replaces_an_older_assignment(ctx: Context) -> None:
    territories.seed_demo_territories(ctx)
    territory_records.set_actor_territories(
        ctx.records, {"adsi-arras": "valenciennes", "festiv-nord": "valenciennes"}
    )
    territories.seed_demo_territories(ctx)  # keeps assignments
    assert territories.territories_of_actors(ctx, ["festiv-nord"]) == {
        "festiv-nord": "valenciennes"
    }
    territories.place_actors(ctx, ["adsi-arras", "festiv-nord"])
    assert territories.territories_of_actors(ctx, ["adsi-arras", "festiv-nord"]) == {
        "festiv-nord": "mel"
    }


def test_import_yaml_and_json(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "territoires.yaml"
    path.write_text(
        "- slug: porte-du-hainaut\n  name: CA de la Porte du Hainaut\n  epci: '200041960'\n"
        "- id: arras\n  name: Arras\n  communes: ['62041']\n  departments: ['62']\n",
        encoding="utf-8",
    )
    report = import_territories(ctx, path)
    assert report.created == ["porte-du-hainaut", "arras"] and report.updated == []
    # the one demo actor in Arras (a real SIAE) joins it; ADSI is in Saint-Laurent-Blangy
    assert report.assigned == {"multiservices-a-domicile-arras": "arras"}
    assert territories.get_territory(ctx, "porte-du-hainaut").epcis == ["200041960"]
    one = tmp_path / "mel.json"
    one.write_text('{"id": "mel", "name": "MEL", "epcis": ["200093201"]}', encoding="utf-8")
    again = import_territories(ctx, one)
    assert again.updated == ["mel"] or again.created == ["mel"]
    assert set(again.assigned.values()) == {"mel"} and set(again.assigned) == MEL


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id: x\nname: X\ncommunes: ['59999']\n",
            "codes inconnus du découpage administratif : 59999",
        ),
        ("id: Pas Un Slug\nname: X\ndepartments: ['59']\n", "identifiant de territoire invalide"),
        ("id: x\nname: X\n", "ni commune, ni EPCI, ni département"),
        ("- 12\n", "un territoire est un dictionnaire"),
        ("id: [unclosed\n", "fichier illisible"),
    ],
)
def test_import_refuses_bad_definitions(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        read_definitions(path)


def notice(uid: str, **buyer: str) -> Notice:
    return Notice(
        uid=f"boamp:{uid}",
        source="boamp",
        native_id=uid,
        kind=NoticeKind.TENDER,
        title=f"Avis {uid}",
        buyer=Buyer(department="59", **buyer),
    ).with_hash()


def test_buyers_of_the_territory_search(ctx: Context) -> None:
    ctx.store.write(
        [
            notice("1", name="CA Valenciennes Métropole", siret="24590116000013"),
            notice("2", name="Ville d'Anzin", postcode="59410"),
            notice("3", name="Ville de Rouvignies", postcode="59220", city="Rouvignies"),
            notice("4", name="Ville de Denain", postcode="59220"),  # outside (shares 59220)
            notice("5", name="Ville de Lille", siret="21590350100017", postcode="59000"),
        ]
    )
    territory = PlanTerritory(id="valenciennes", name="V", departments=["59"], epcis=["245901160"])
    query = parse_query_string(buyers_query(territory))
    assert query.filters.buyer_areas == ["245901160"]
    found = {n.uid for n in ctx.store.iter_notices(query.filters)}
    assert found == {"boamp:1", "boamp:2"}  # a shared postcode alone places nothing
    by_departement = buyers_query(PlanTerritory(id="nord", name="Nord", departments=["59"]))
    assert by_departement == "dep=59&sort=-published"


def test_suggestions_are_drawn_within_one_territory(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    territories.seed_demo_territories(ctx)
    seen: list[list[str]] = []

    def per_group(
        inputs: object, matches: list[Match], weights: object, lexicon: object = None
    ) -> list[Suggestion]:
        ids = sorted({m.actor_id for m in matches})
        seen.append(ids)
        return [
            Suggestion(
                notice_uid="boamp:n",
                members=ids,
                lead=ids[0],
                assignments=[],
                coverage=1.0,
                score=float(len(ids)),
            )
        ]

    monkeypatch.setattr(territory_teams, "suggest_grouped_bids", per_group)
    ids = ["esat-jardins-escaut", "mutuelle-sud-services", "festiv-nord", "adsi-arras"]
    matches = [Match(actor_id=a, notice_uid="boamp:n", score=50.0) for a in ids]
    found = territory_teams.suggest_within_territories(ctx, None, matches)  # type: ignore[arg-type]
    assert sorted(seen) == [
        ["adsi-arras"],  # outside every territory: among themselves
        ["esat-jardins-escaut", "mutuelle-sud-services"],  # Valenciennes Métropole
        ["festiv-nord"],  # the MEL
    ]
    assert [s.members for s in found] == [["esat-jardins-escaut", "mutuelle-sud-services"]]
