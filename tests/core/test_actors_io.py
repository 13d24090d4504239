"""Actor profiles from YAML, CSV and XLSX: the bundled demo file, shorthands, located errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from veilleuse.core.actor_fields import build_actor, parse_family
from veilleuse.core.actors_io import demo_actors_path, load_actors, read_actor_rows
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import EssFamily
from veilleuse.matching.cpv import cpv_label

ROOT = Path(__file__).resolve().parents[2]
SIAE_SAMPLE = ROOT / "data" / "samples" / "ess_actors" / "lemarche_siaes_sample.json"

# départements of the recorded notices and funding calls the demo must be able to match
DEMO_DEPARTMENTS = {
    "59",
    "62",
    "75",
    "13",
    "77",
    "33",
    "17",
    "10",
    "05",
    "42",
    "76",
    "83",
    "26",
    "50",
}


# --------------------------------------------------------------------------- the demo file


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return load_actors(demo_actors_path())


def test_demo_has_real_and_constructed_actors_across_the_territory(demo) -> None:  # type: ignore[no-untyped-def]
    assert len(demo) >= 24
    assert len({a.id for a in demo}) == len(demo)
    real = [a for a in demo if (a.provenance or "").startswith("real:")]
    constructed = [a for a in demo if a.provenance == "constructed for the demo"]
    assert len(real) >= 15 and len(constructed) >= 10
    assert len(real) + len(constructed) == len(demo)
    assert all((a.email() or "").endswith("@example.org") for a in constructed)
    assert {d for a in demo for d in a.territory.departments} >= DEMO_DEPARTMENTS
    families = {a.family for a in constructed}
    assert {
        EssFamily.ASSOCIATION, EssFamily.SCOP, EssFamily.SCIC, EssFamily.ESAT, EssFamily.EA,
        EssFamily.MUTUAL, EssFamily.FOUNDATION, EssFamily.ESUS,
    } <= families  # fmt: skip
    for a in demo:
        assert a.description and a.cpv_interests and a.email()
        assert a.capacity.staff and a.capacity.turnover
        assert a.territory.latitude is not None and a.territory.radius_km
        assert all(cpv_label(code) for code in a.cpv_codes()), a.id
    assert any(not c.declared for a in demo for c in a.cpv_interests)  # some are suggested


def test_real_actors_keep_the_published_fields(demo) -> None:  # type: ignore[no-untyped-def]
    records = {r["fields"]["siret"]: r["fields"] for r in json.loads(SIAE_SAMPLE.read_text())}
    kinds = {
        "ACI": EssFamily.SIAE_ACI, "AI": EssFamily.SIAE_AI, "EI": EssFamily.SIAE_EI,
        "ETTI": EssFamily.SIAE_ETTI, "GEIQ": EssFamily.GEIQ, "EA": EssFamily.EA,
    }  # fmt: skip
    real = [a for a in demo if (a.provenance or "").startswith("real:")]
    for a in real:
        source = records[a.siret]
        assert a.family is kinds[source["kind"]]
        assert a.territory.commune == source["city"]
        assert a.territory.departments[0] == source["department"]
        assert a.email() == source["email"]
        lon, lat = map(float, re.findall(r"[-\d.]+", source["coords"].split("POINT")[1]))
        assert (a.territory.latitude, a.territory.longitude) == (round(lat, 6), round(lon, 6))
        assert a.description.split()[:5] == source["description"].split()[:5]


def test_one_real_actor_exactly(demo) -> None:  # type: ignore[no-untyped-def]
    adsi = next(a for a in demo if a.id == "adsi-arras")
    assert adsi.name == "ADSI"
    assert adsi.siret == "34748445300043"
    assert adsi.family is EssFamily.SIAE_AI
    assert adsi.legal_form == "association"
    assert adsi.territory.departments == ["62"]
    assert adsi.territory.commune == "Saint-Laurent-Blangy"
    assert (adsi.territory.latitude, adsi.territory.longitude) == (50.29946, 2.801051)
    assert adsi.email() == "laure13@guillaume.fr"
    assert adsi.contacts[0].phone == "+33 (0)6 94 02 24 55"
    assert adsi.cpv_codes() == ["90919200", "90911200", "90911300"]
    assert [c.declared for c in adsi.cpv_interests] == [True, True, False]
    assert adsi.description.startswith("Avec plus de 30 années d’expérience, l’A.D.S.I.")


# --------------------------------------------------------------------------- families


@pytest.mark.parametrize(
    ("label", "family"),
    [
        ("association", EssFamily.ASSOCIATION),
        ("Association loi 1901", EssFamily.ASSOCIATION),
        ("SCOP", EssFamily.SCOP),
        ("Scic", EssFamily.SCIC),
        ("coopérative", EssFamily.COOPERATIVE),
        ("Mutuelle", EssFamily.MUTUAL),
        ("fondation", EssFamily.FOUNDATION),
        ("Entreprise ESUS", EssFamily.ESUS),
        ("EI", EssFamily.SIAE_EI),
        ("ACI", EssFamily.SIAE_ACI),
        ("Atelier et chantier d'insertion", EssFamily.SIAE_ACI),
        ("Association intermédiaire", EssFamily.SIAE_AI),
        ("ETTI", EssFamily.SIAE_ETTI),
        ("GEIQ", EssFamily.GEIQ),
        ("ESAT", EssFamily.ESAT),
        ("Entreprise adaptée", EssFamily.EA),
        ("siae_aci", EssFamily.SIAE_ACI),
    ],
)
def test_family_accepts_french_labels(label: str, family: EssFamily) -> None:
    assert parse_family(label) is family


def test_unknown_family_lists_the_accepted_words() -> None:
    with pytest.raises(
        ValueError, match=r"famille inconnue 'SCOOP' \(valeurs possibles : association, SCOP"
    ):
        parse_family("SCOOP")


# --------------------------------------------------------------------------- CSV


HEADER = "id,name,siret,family,description,cpv,departments,commune,latitude,longitude,radius_km,staff,turnover,email,phone"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_with_commas(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acteurs.csv",
        HEADER + "\n"
        'jardins,Les Jardins,123 456 789 00012,ACI,"Entretien d\'espaces verts",'
        '"77310000 77312000-1",59,Lille,"50,63",3.06,30,12,"450 000 €",contact@jardins.example.org,03 20 00 00 00\n'
        "\n"
        "cuisine,La Cuisine,,SCOP,Repas,55321000,13;83,,,,,,,,\n",
    )
    jardins, cuisine = load_actors(path)
    assert jardins.siret == "12345678900012"
    assert jardins.family is EssFamily.SIAE_ACI
    assert jardins.cpv_codes() == ["77310000", "77312000"]
    assert jardins.territory.departments == ["59"]
    assert (jardins.territory.latitude, jardins.territory.longitude) == (50.63, 3.06)
    assert jardins.territory.radius_km == 30
    assert (jardins.capacity.staff, jardins.capacity.turnover) == (12, 450000.0)
    assert jardins.email() == "contact@jardins.example.org"
    assert jardins.contacts[0].phone == "03 20 00 00 00"
    assert cuisine.siret is None
    assert cuisine.territory.departments == ["13", "83"]
    assert cuisine.capacity.staff is None


def test_csv_with_semicolons_bom_and_windows_1252(tmp_path: Path) -> None:
    text = (
        HEADER.replace(",", ";")
        + "\nesat;ESAT Les Ateliers;;ESAT;Blanchisserie et entretien;98310000;5;Gap;;;;;;;\n"
    )
    for name, data in (
        ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("cp1252.csv", text.replace("Blanchisserie", "Blanchisserie é").encode("cp1252")),
    ):
        (tmp_path / name).write_bytes(data)
        [esat] = load_actors(tmp_path / name)
        assert esat.id == "esat" and esat.family is EssFamily.ESAT
        assert esat.territory.departments == ["05"]
    assert load_actors(tmp_path / "cp1252.csv")[0].description == "Blanchisserie é et entretien"


def test_csv_errors_name_file_line_and_field_all_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acteurs.csv",
        HEADER + "\n"
        "ok,Structure correcte,,association,x,77310000,59,,,,,,,,\n"
        "a2,Mauvaise famille,,SCOOP,x,77310000,59,,,,,,,,\n"
        "a3,Mauvais code,12,association,x,7731,59,,91.5,,,dix,,pas-un-mail,\n",
    )
    with pytest.raises(ValidationError) as caught:
        load_actors(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == (
        f"{path}:3: acteur 'a2', champ 'family' : famille inconnue 'SCOOP' (valeurs possibles : "
        "association, SCOP, SCIC, coopérative, mutuelle, fondation, ESUS, EI, ACI, AI, ETTI, "
        "GEIQ, ESAT, EA)"
    )
    assert f"{path}:4: acteur 'a3', champ 'siret' : '12' n'est pas un SIRET à 14 chiffres" in lines
    assert (
        f"{path}:4: acteur 'a3', champ 'cpv' : '7731' n'est pas un code CPV à 8 chiffres" in lines
    )
    assert f"{path}:4: acteur 'a3', champ 'latitude' : 91.5 hors de l'intervalle [-90, 90]" in lines
    assert f"{path}:4: acteur 'a3', champ 'staff' : 'dix' n'est pas un nombre entier" in lines
    assert (
        f"{path}:4: acteur 'a3', champ 'email' : 'pas-un-mail' n'est pas une adresse e-mail"
        in lines
    )


def test_csv_header_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,nom,family,colour\nx,y,ACI,red\n")
    with pytest.raises(
        ValidationError,
        match=r"a\.csv:1: colonne\(s\) manquante\(s\) : name ; colonne\(s\) inconnue\(s\) : nom, colour",
    ):
        load_actors(path)
    extra = write(tmp_path, "b.csv", "id,name,family\nx,y,ACI,surplus\n")
    with pytest.raises(
        ValidationError, match=r"b\.csv:2: acteur 'x', plus de valeurs que de colonnes"
    ):
        load_actors(extra)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,name,family\nx,Un,ACI\nx,Deux,EI\n")
    with pytest.raises(
        ValidationError,
        match=r"d\.csv:3: acteur 'x', champ 'id' : identifiant déjà présent ligne 2",
    ):
        load_actors(path)


# --------------------------------------------------------------------------- YAML


GOOD_YAML = """\
- id: jardins
  name: Les Jardins
  family: chantier d'insertion
  description: Entretien d'espaces verts
  cpv: ["77310000", {code: "77312000", suggested: true}]
  territory: {departments: [59, "62"], commune: Lille}
  capacity: {staff: 12, turnover: 450000}
  email: contact@jardins.example.org
  digest: {max_items: 5}
  provenance: constructed for the demo
"""


def test_yaml_shorthands(tmp_path: Path) -> None:
    [jardins] = load_actors(write(tmp_path, "a.yaml", GOOD_YAML))
    assert jardins.family is EssFamily.SIAE_ACI
    assert [(c.code, c.declared) for c in jardins.cpv_interests] == [
        ("77310000", True),
        ("77312000", False),
    ]
    assert jardins.territory.departments == ["59", "62"]
    assert jardins.digest.max_items == 5
    assert jardins.email() == "contact@jardins.example.org"


def test_yaml_errors_name_item_line_and_field(tmp_path: Path) -> None:
    bad = GOOD_YAML + '- id: deux\n  name: Deux\n  family: EA\n  cpv: ["123"]\n  colour: blue\n'
    path = write(tmp_path, "a.yaml", bad)
    with pytest.raises(ValidationError) as caught:
        load_actors(path)
    text = str(caught.value)
    assert (
        f"{path}:11: élément 2: acteur 'deux', champ 'cpv' (ligne 14) : "
        "'123' n'est pas un code CPV à 8 chiffres" in text
    )
    assert "élément 1" not in text


def test_yaml_model_errors_are_located(tmp_path: Path) -> None:
    bad = (
        "- id: deux\n  name: Deux\n  family: EA\n  colour: blue\n  digest: {max_items: beaucoup}\n"
    )
    path = write(tmp_path, "a.yml", bad)
    with pytest.raises(ValidationError) as caught:
        load_actors(path)
    lines = str(caught.value).splitlines()
    assert f"{path}:1: élément 1: acteur 'deux', champ 'colour' (ligne 4) : champ inconnu" in lines
    assert any(
        line
        == f"{path}:1: élément 1: acteur 'deux', champ 'digest.max_items' : nombre entier attendu"
        for line in lines
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: x\n  name: [unclosed\n", r"a\.yaml:3: YAML invalide"),
        ("id: x\nname: y\n", r"une liste d'acteurs est attendue"),
        ("- just a string\n", r"a\.yaml:1: élément 1: un dictionnaire de champs d'acteur"),
        ("- name: Sans id\n  family: ACI\n", r"champ 'id' : obligatoire"),
    ],
)
def test_yaml_shape_problems(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_actors(write(tmp_path, "a.yaml", text))


def test_empty_yaml_is_no_actor(tmp_path: Path) -> None:
    assert load_actors(write(tmp_path, "a.yaml", "# nobody yet\n")) == []


def test_unsupported_or_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"non pris en charge '\.xls'"):
        load_actors(tmp_path / "a.xls")
    with pytest.raises(ValidationError, match=r"absent\.csv: lecture impossible"):
        load_actors(tmp_path / "absent.csv")


# --------------------------------------------------------------------------- XLSX and rows


def xlsx(tmp_path: Path, rows: list[list[object]]) -> Path:
    """A workbook as a spreadsheet saves it: numbers typed as numbers, empty cells as None."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "acteurs.xlsx"
    book.save(path)
    return path


def test_xlsx_gives_the_same_actors_as_csv(tmp_path: Path) -> None:
    columns = HEADER.split(",")
    path = xlsx(
        tmp_path,
        [
            columns,
            ["jardins", "Les Jardins", 12345678900012, "ACI", "Entretien d'espaces verts",
             "77310000 77312000-1", 59, "Lille", 50.63, 3.06, 30, 12, "450 000 €",
             "contact@jardins.example.org", "03 20 00 00 00"],
            [None] * len(columns),
            ["esat", "ESAT Les Ateliers", None, "ESAT", None, 98310000.0, 5, "Gap"],
        ],
    )  # fmt: skip
    jardins, esat = load_actors(path)
    csv_path = write(
        tmp_path,
        "acteurs.csv",
        HEADER + "\n"
        'jardins,Les Jardins,12345678900012,ACI,"Entretien d\'espaces verts",'
        '"77310000 77312000-1",59,Lille,50.63,3.06,30,12,"450 000 €",contact@jardins.example.org,03 20 00 00 00\n',
    )
    assert jardins == load_actors(csv_path)[0]
    assert esat.cpv_codes() == ["98310000"]
    assert esat.territory.departments == ["05"] and esat.siret is None


def test_rows_keep_their_line_and_field_problems(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        [
            ["id", "name", "family", "siret", "cpv"],
            ["ok", "Structure correcte", "association", "12345678900012", "77310000"],
            ["bad", "Mauvaise", "SCOOP", "12", "77310000"],
            ["twin", "Même SIRET", "SCOP", "123 456 789 00012", None],
        ],
    )
    ok, bad, twin = read_actor_rows(path.name, path.read_bytes())
    assert (ok.line, ok.problems, ok.actor and ok.actor.id) == (2, [], "ok")
    assert bad.line == 3 and bad.actor is None and bad.raw_id == "bad"
    assert [p.field for p in bad.problems] == ["family", "siret"]
    assert bad.problems[0].message.startswith("famille inconnue 'SCOOP' (valeurs possibles : ")
    assert bad.problems[1].message == "'12' n'est pas un SIRET à 14 chiffres"
    assert twin.actor is None
    assert [str(p) for p in twin.problems] == ["champ 'siret' : SIRET déjà présent ligne 2"]


def test_unreadable_xlsx_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"x\.xlsx: classeur XLSX illisible"):
        read_actor_rows("x.xlsx", b"not a zip")


def test_build_actor_from_a_form_mapping() -> None:
    actor, problems = build_actor(
        {"id": "a", "name": "A", "family": "EA", "cpv": "77310000", "departments": "59 62"}
    )
    assert problems == [] and actor is not None
    assert actor.territory.departments == ["59", "62"]
    none, problems = build_actor({"id": "a", "name": "", "family": "EA", "email": "x"})
    assert none is None
    assert [str(p) for p in problems] == [
        "champ 'name' : obligatoire",
        "champ 'email' : 'x' n'est pas une adresse e-mail",
    ]
