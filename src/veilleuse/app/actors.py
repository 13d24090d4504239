"""Actor profiles: import (with CPV codes suggested from past awards), list, show, update."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.app.match import with_cold_start
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import Actor
from veilleuse.records import actors as actor_records


@dataclass
class ImportReport:
    read: int
    created: int
    updated: int
    #: actor id → CPV codes suggested from past contracts or the description (to confirm)
    suggested: dict[str, list[str]] = field(default_factory=dict)


def import_actors(ctx: Context, path: Path) -> ImportReport:
    """Import a YAML or CSV file of profiles, updating in place by identifier or SIRET."""
    return save_actors(ctx, load_actors(path))


def save_actors(ctx: Context, actors: list[Actor]) -> ImportReport:
    """Store profiles read elsewhere (a file, a form); cold start fills missing CPV interests."""
    actors = with_cold_start(ctx, actors)
    created, updated = actor_records.upsert_actors(ctx.records, actors)
    suggested = {
        a.id: [c.code for c in a.cpv_interests if not c.declared]
        for a in actors
        if any(not c.declared for c in a.cpv_interests)
    }
    return ImportReport(len(actors), created, updated, suggested)


def ensure_demo_actors(ctx: Context, path: Path | None = None) -> tuple[int, int]:
    """Load the bundled example actor profiles (update in place; no cold start: they declare)."""
    return actor_records.upsert_actors(ctx.records, load_actors(path or demo_actors_path()))


def list_actors(ctx: Context, active_only: bool = True) -> list[Actor]:
    return actor_records.list_actors(ctx.records, active_only=active_only)


def get_actor(ctx: Context, actor_id: str) -> Actor:
    actor = actor_records.get_actor(ctx.records, actor_id)
    if actor is None:
        raise NotFoundError(f"no actor {actor_id!r}")
    return actor


def update_actor(ctx: Context, actor: Actor) -> Actor:
    """Replace a stored profile with an edited one (same id)."""
    get_actor(ctx, actor.id)
    actor_records.upsert_actors(ctx.records, [actor])
    return actor
