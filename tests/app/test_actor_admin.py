"""Actor pages' use cases: list with filters, profile, edit form, CPV search, import in two steps.

Over a real records database and the embedded store; actors and files are constructed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from veilleuse.app import actor_import
from veilleuse.app.actor_admin import ActorFilters, actor_profile, list_actors
from veilleuse.app.actor_edit import ContactForm, actor_form, update_actor
from veilleuse.app.actor_import import confirm_import, preview_import, stage_import
from veilleuse.app.context import Context
from veilleuse.app.cpv_search import search_cpv
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory, Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.models import (
    Actor,
    Contact,
    CpvInterest,
    DigestPreferences,
    EssFamily,
    Match,
    Notice,
    NoticeKind,
    Territory,
)
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

HEADER = "id,name,siret,family,description,cpv,departments,commune,email"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        records = context.records
        for territory in ("valenciennes", "mel"):
            territory_records.upsert_territory(records, PlanTerritory(id=territory, name=territory))
        actor_records.upsert_actors(
            records,
            [
                Actor(
                    id="regie",
                    name="Régie de quartier Éole",
                    siret="12345678900012",
                    family=EssFamily.ASSOCIATION,
                    cpv_interests=[
                        CpvInterest(code="77310000"),
                        CpvInterest(code="90910000"),
                        CpvInterest(code="90911000", declared=False),
                    ],
                    territory=Territory(departments=["59"], latitude=50.3, longitude=3.5),
                    contacts=[Contact(email="regie@example.org"), Contact(name="Paul")],
                    digest=DigestPreferences(max_items=5),
                ),
                Actor(id="esat", name="ESAT du Hainaut", family=EssFamily.ESAT),
                Actor(
                    id="lille",
                    name="Coopérative lilloise",
                    siret="98765432100019",
                    family=EssFamily.SCOP,
                ),
            ],
        )
        actor_records.set_active(records, "esat", False)
        territory_records.set_actor_territories(
            records, {"regie": "valenciennes", "esat": "valenciennes", "lille": "mel"}
        )
        yield context


def user(ctx: Context, role: Role, territory: str | None = "valenciennes") -> User:
    return account_records.create_user(
        ctx.records,
        email=f"{role.value}-{territory}@example.org",
        name=role.label,
        role=role,
        password_hash="x",
        territory_id=None if role is Role.ADMIN else territory,
    )


# --------------------------------------------------------------------------- list and profile


def test_list_is_limited_to_the_territory_and_filtered(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    assert [line.actor.id for line in list_actors(ctx, officer)] == ["esat", "regie"]
    assert [line.actor.id for line in list_actors(ctx, user(ctx, Role.ADMIN, None))] == [
        "lille",
        "esat",
        "regie",
    ]  # by name: Coopérative, ESAT, Régie

    def ids(**filters: object) -> list[str]:
        return [line.actor.id for line in list_actors(ctx, officer, ActorFilters(**filters))]  # type: ignore[arg-type]

    assert ids(text="eole") == ["regie"]  # accents and case ignored
    assert ids(cpv="7731") == ["regie"]
    assert ids(active=False) == ["esat"]
    assert ids(family=EssFamily.ESAT) == ["esat"]
    assert ids(territory="mel") == []
    with pytest.raises(PermissionDeniedError):
        list_actors(ctx, user(ctx, Role.ACTOR))


def test_profile_of_a_foreign_actor_is_not_found(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    ctx.store.write(
        [
            Notice(
                uid="boamp:1",
                source="boamp",
                native_id="1",
                kind=NoticeKind.TENDER,
                title="Espaces verts",
            ).with_hash()
        ]
    )
    match_records.save_matches(
        ctx.records, [Match(actor_id="regie", notice_uid="boamp:1", score=60)]
    )
    profile = actor_profile(ctx, "regie", officer)
    assert profile.territory is not None and profile.territory.id == "valenciennes"
    assert (profile.cpv[0].code, profile.cpv[0].label) == (
        "77310000",
        "Réalisation et entretien d'espaces verts",
    )
    assert [(m.notice and m.notice.title, m.match.score) for m in profile.matches] == [
        ("Espaces verts", 60)
    ]
    with pytest.raises(NotFoundError):
        actor_profile(ctx, "lille", officer)
    with pytest.raises(NotFoundError):
        actor_profile(ctx, "nobody", officer)
    with pytest.raises(NotFoundError):
        actor_form(ctx, "lille", officer)


# --------------------------------------------------------------------------- edit


def test_update_saves_the_form_and_keeps_coordinates(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    form = actor_form(ctx, "regie", officer)
    assert form.cpv == "77310000 90910000 90911000" and form.digest_max_items == "5"
    form.name = "Régie Éole"
    form.cpv = "77310000-6; 45000000"
    form.departments = "59, 62"
    form.radius_km = "25"
    form.contacts = [*form.contacts, ContactForm(email="nouveau@example.org")]
    form.digest_frequency = "daily"
    form.active = False
    result = update_actor(ctx, "regie", form, officer)
    assert result.errors == {}
    saved = actor_records.get_actor(ctx.records, "regie")
    assert saved is not None and saved.name == "Régie Éole"
    assert saved.cpv_codes() == ["77310000", "45000000"]
    assert saved.territory.departments == ["59", "62"] and saved.territory.radius_km == 25
    assert saved.territory.latitude == 50.3  # not on the form: kept
    assert [c.email for c in saved.contacts] == ["regie@example.org", None, "nouveau@example.org"]
    assert saved.digest.frequency == "daily" and saved.digest.max_items == 5
    assert not actor_records.actor_entries(ctx.records, ["regie"])[0].active


def test_update_errors_are_french_per_field_and_change_nothing(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    before = actor_records.get_actor(ctx.records, "regie")
    form = actor_form(ctx, "regie", officer)
    form.name = " "
    form.cpv = "7731"
    form.siret = "98765432100019"  # the lille actor's: another territory
    form.staff = "dix"
    form.digest_max_items = "0"
    form.contacts = [ContactForm(email="pas-une-adresse")]
    result = update_actor(ctx, "regie", form, officer)
    assert result.actor is None
    assert result.errors == {
        "digest_max_items": ["un nombre entier entre 1 et 100 est attendu"],
        "name": ["obligatoire"],
        "cpv": ["'7731' n'est pas un code CPV à 8 chiffres"],
        "staff": ["'dix' n'est pas un nombre entier"],
        "contact-0-email": ["'pas-une-adresse' n'est pas une adresse e-mail"],
    }
    form = actor_form(ctx, "regie", officer)
    form.siret = "98765432100019"
    assert update_actor(ctx, "regie", form, officer).errors == {
        "siret": ["SIRET déjà utilisé par une structure d'un autre territoire"]
    }
    assert actor_records.get_actor(ctx.records, "regie") == before
    with pytest.raises(PermissionDeniedError):
        update_actor(ctx, "regie", form, user(ctx, Role.COMMITTEE))
    with pytest.raises(NotFoundError):
        update_actor(ctx, "lille", form, officer)


def test_cpv_search_by_code_prefix_or_label_words() -> None:
    assert search_cpv("7731")[0] == ("77310000", "Réalisation et entretien d'espaces verts")
    assert all(code.startswith("7731") for code, _ in search_cpv("7731"))
    found = search_cpv("ESPACES verts")
    assert ("77310000", "Réalisation et entretien d'espaces verts") in found
    # accents ignored; general codes (fewer significant digits) first
    assert search_cpv("elagage") == [
        ("77340000", "Élagage des arbres et taille des haies"),
        ("77341000", "Élagage des arbres"),
        ("77211500", "Services d'élagage"),
    ]
    assert len(search_cpv("services")) == 20
    assert search_cpv("  ") == []


# --------------------------------------------------------------------------- import


def csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def test_preview_writes_nothing_and_names_line_and_field(ctx: Context) -> None:
    content = csv(
        "neuf,Nouvelle structure,,SCIC,Recyclage,90500000,59,Valenciennes,neuf@example.org",
        "regie,Régie Éole,12345678900012,association,,,,Anzin,",
        "bad,Mauvaise,,SCOOP,,7731,,,",
        "copie,Copie,98765432100019,SCOP,,,,,",
        "lille,Prise,,SCOP,,,,,",
    )
    preview = preview_import(ctx, "acteurs.csv", content, "valenciennes")
    rows = {row.line: row for row in preview.rows}
    assert [(r.line, r.action) for r in preview.rows] == [
        (2, "create"),
        (3, "update"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
    ]
    assert rows[4].errors[0].startswith("champ 'family' : famille inconnue 'SCOOP'")
    assert rows[4].errors[1] == "champ 'cpv' : '7731' n'est pas un code CPV à 8 chiffres"
    assert rows[5].errors == [
        "champ 'siret' : SIRET déjà utilisé par une structure d'un autre territoire"
    ]
    assert rows[6].errors == [
        "champ 'id' : identifiant déjà utilisé par une structure d'un autre territoire"
    ]
    # the update keeps what the file does not carry
    updated = rows[3].actor
    assert updated is not None and updated.territory.commune == "Anzin"
    assert updated.cpv_codes() == ["77310000", "90910000", "90911000"]
    assert updated.digest.max_items == 5
    assert [c.name for c in updated.contacts] == [None, "Paul"]
    assert actor_records.get_actor(ctx.records, "neuf") is None  # nothing written
    # listed codes are declared; a stored suggestion the row does not list stays suggested
    codes = csv("regie,Régie Éole,12345678900012,association,,45000000 77310000,,,")
    (row,) = preview_import(ctx, "a.csv", codes, "valenciennes").rows
    assert row.actor is not None
    assert [(c.code, c.declared) for c in row.actor.cpv_interests] == [
        ("45000000", True),
        ("77310000", True),
        ("90911000", False),
    ]
    same_siret = csv("autre,Autre,123 456 789 00012,SCOP,,,,,")
    (row,) = preview_import(ctx, "a.csv", same_siret, "valenciennes").rows
    assert row.errors == [
        "champ 'siret' : SIRET déjà utilisé par l'acteur « Régie de quartier Éole » (regie)"
    ]
    with pytest.raises(ValidationError, match="colonne"):
        preview_import(ctx, "a.csv", b"nom\nx\n", "valenciennes")


def test_confirm_writes_only_valid_rows_into_the_territory(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    content = csv(
        "neuf,Nouvelle structure,,SCIC,Recyclage,90500000,59,Valenciennes,",
        "bad,Mauvaise,,SCOOP,,,,,",
    )
    token, preview = stage_import(ctx, "acteurs.csv", content, "valenciennes", officer)
    assert preview.count("create") == 1 and preview.count("error") == 1
    assert actor_records.get_actor(ctx.records, "neuf") is None
    with pytest.raises(NotFoundError):  # another user cannot confirm it
        confirm_import(ctx, token, user(ctx, Role.ADMIN, None))
    outcome = confirm_import(ctx, token, officer)
    assert (outcome.created, outcome.updated, [r.line for r in outcome.refused]) == (1, 0, [3])
    assert actor_records.get_actor(ctx.records, "bad") is None
    assert territory_records.territories_of_actors(ctx.records, ["neuf"]) == {
        "neuf": "valenciennes"
    }
    with pytest.raises(NotFoundError):  # a token is used once
        confirm_import(ctx, token, officer)
    with pytest.raises(NotFoundError):
        confirm_import(ctx, "../../etc/passwd", officer)


def test_staging_is_refused_outside_the_territory_and_expires(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = user(ctx, Role.OFFICER)
    content = csv("neuf,Nouvelle structure,,SCIC,,,,,")
    with pytest.raises(NotFoundError):
        stage_import(ctx, "a.csv", content, "mel", officer)
    with pytest.raises(PermissionDeniedError):
        stage_import(ctx, "a.csv", content, "valenciennes", user(ctx, Role.COMMITTEE))
    token, _ = stage_import(ctx, "a.csv", content, "valenciennes", officer)
    later = ctx.now() + actor_import.STAGED_FOR + timedelta(minutes=1)
    monkeypatch.setattr(ctx, "now", lambda: later)
    with pytest.raises(NotFoundError, match="expiré"):
        confirm_import(ctx, token, officer)
    assert list((ctx.settings.data_dir / "imports").iterdir()) == []


def test_preview_refuses_control_characters_bad_ids_and_emails(ctx: Context) -> None:
    """Issue 15: what the import page's preview refuses at the door, by row and field."""
    content = (
        HEADER + "\n"
        'crlf,"Nom\r\nBcc: x@y.fr",,SCOP,,,,,\n'
        "a b,Espace,,SCOP,,,,,\n"
        "mail,Courriel,,SCOP,,,,,jean <j@x.fr>\n"
        "ok,Bonne structure,,SCOP,,,,,ok@example.org\n"
    ).encode()
    rows = preview_import(ctx, "acteurs.csv", content, "valenciennes").rows
    assert [r.action for r in rows] == ["error", "error", "error", "create"]
    assert rows[0].errors == [
        "champ 'name' : caractère de contrôle interdit (U+000D) à la position 4"
    ]
    assert rows[1].errors[0].startswith("champ 'id' : 'a b' n'est pas un identifiant admis")
    assert rows[2].errors == ["champ 'email' : 'jean <j@x.fr>' n'est pas une adresse e-mail"]
