"""A small constructed world for the grouped-bid register's tests (app and front ends).

Two territories; three actors of Valenciennes (`regie`, `esat`, `ressourcerie`) and one of the
MEL (`lille`); a two-lot tender `boamp:1` (also published as `ted:1-2026`) with matches and a
stored suggestion (regie leads LOT-1, esat takes LOT-2); a one-lot tender `boamp:2`; a funding
call `aap:1` matched by the three Valenciennes actors. Everything here is invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory, Role, User
from veilleuse.core.models import (
    Actor,
    Contact,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    Reason,
)
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

NOW = datetime.now(UTC)
SIRETS = {"regie": "11111111100011", "esat": "22222222200022"}


def actor(actor_id: str, name: str, family: str = "association", dep: str = "59") -> Actor:
    return Actor.model_validate(
        {
            "id": actor_id,
            "name": name,
            "family": family,
            "siret": SIRETS.get(actor_id),
            "territory": {"departments": [dep]},
            "contacts": [Contact(name=f"Contact {name}", email=f"{actor_id}@example.org")],
        }
    )


def notice(uid: str, title: str, **fields: object) -> Notice:
    values: dict[str, object] = {
        "uid": uid,
        "source": uid.split(":")[0],
        "native_id": uid.split(":", 1)[1],
        "kind": NoticeKind.TENDER,
        "title": title,
        "deadline": (NOW + timedelta(days=20)).date(),
        **fields,
    }
    return Notice.model_validate(values).with_hash()


def match(actor_id: str, uid: str, score: float, lots: list[str] | None = None) -> Match:
    return Match(
        actor_id=actor_id,
        notice_uid=uid,
        score=score,
        lot_ids=lots or [],
        reasons=[Reason(code="lexical", params={"words": ["espaces verts"]}, weight=9)],
    )


def suggestion() -> GroupedBidSuggestion:
    return GroupedBidSuggestion(
        notice_uid="boamp:1",
        members=["regie", "esat"],
        lead="regie",
        assignments=[
            LotAssignment(lot_id="LOT-1", actor_id="regie", fit=0.8, why=""),
            LotAssignment(lot_id="LOT-2", actor_id="esat", fit=0.7, why=""),
        ],
        coverage=1.0,
        score=75.0,
    )


@contextmanager
def world(tmp_path: Path) -> Iterator[Context]:
    """A context over a fresh records database and embedded store holding the world."""
    settings = Settings(data_dir=tmp_path)
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(settings, store=store, mailer=OutboxMailer(tmp_path / "outbox")) as ctx:
        records = ctx.records
        for territory in ("valenciennes", "mel"):
            territory_records.upsert_territory(records, PlanTerritory(id=territory, name=territory))
        actor_records.upsert_actors(
            records,
            [
                actor("regie", "Régie de quartier"),
                actor("esat", "ESAT du Hainaut", "esat"),
                actor("ressourcerie", "Ressourcerie du Hainaut", "scop"),
                actor("lille", "Coopérative lilloise", "scic"),
            ],
        )
        territory_records.set_actor_territories(
            records,
            {
                "regie": "valenciennes",
                "esat": "valenciennes",
                "ressourcerie": "valenciennes",
                "lille": "mel",
            },
        )
        store.write(
            [
                notice(
                    "boamp:1",
                    "Entretien des espaces verts",
                    buyer={"name": "Ville de Valenciennes"},
                    also_in=["ted:1-2026"],
                    lots=[
                        Lot(id="LOT-1", title="Tonte", cpv=["77312000"]),
                        Lot(id="LOT-2", title="Élagage", cpv=["77211400"]),
                    ],
                ),
                notice("ted:1-2026", "Maintenance of green spaces", also_in=["boamp:1"]),
                notice("boamp:2", "Nettoyage des locaux"),
                notice("aap:1", "Appel à projets alimentation solidaire", kind="funding_call"),
            ]
        )
        match_records.save_matches(
            records,
            [
                match("regie", "boamp:1", 70.0, ["LOT-1"]),
                match("esat", "boamp:1", 60.0, ["LOT-2"]),
                match("lille", "boamp:1", 80.0, ["LOT-1", "LOT-2"]),
                match("regie", "aap:1", 50.0),
                match("esat", "aap:1", 45.0),
                match("ressourcerie", "aap:1", 40.0),
            ],
        )
        match_records.save_suggestions(records, [suggestion()])
        yield ctx


def user(ctx: Context, role: Role, territory: str | None = "valenciennes") -> User:
    """The stored account of `role` (an admin has no territory; an actor account is `regie`'s),
    created on first use."""
    email = f"{role.value}-{territory}@example.org"
    found = account_records.get_user_by_email(ctx.records, email)
    if found is not None:
        return found
    return account_records.create_user(
        ctx.records,
        email=email,
        name=f"{role.label} {territory}",
        role=role,
        password_hash="x",
        territory_id=territory if role is not Role.ADMIN else None,
        actor_id="regie" if role is Role.ACTOR else None,
    )
