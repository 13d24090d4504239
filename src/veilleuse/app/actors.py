"""Actor profiles: import (with CPV codes suggested from past awards), list, show, update.

An imported profile whose SIRET belongs to a stored actor with another id is a conflict, never
a silent overwrite: `import_actors` refuses the whole file by default (naming the file, row and
actors), or, when asked, merges the row into that actor (`merge`: the fields the row gives)
or replaces that actor's profile with the row (`replace`); both keep the stored id, which the
matches and the send log refer to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from veilleuse.app.context import Context
from veilleuse.app.match import with_cold_start
from veilleuse.core.actors_io import demo_actors_path, load_actors, read_actor_rows
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.models import Actor
from veilleuse.records import actors as actor_records


@dataclass
class ImportReport:
    read: int
    created: int
    updated: int
    #: actor id → CPV codes suggested from past contracts or the description (to confirm)
    suggested: dict[str, list[str]] = field(default_factory=dict)
    #: SIRET conflicts resolved: (row's id, stored id it went to, "merge" | "replace")
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)


SiretConflict = Literal["refuse", "merge", "replace"]


def import_actors(
    ctx: Context, path: Path, on_siret_conflict: SiretConflict = "refuse"
) -> ImportReport:
    """Import a YAML, CSV or XLSX file of profiles, updating in place by identifier; a SIRET
    of another stored actor is resolved as `on_siret_conflict` says (module docstring).

    Raises ValidationError naming file, row and field for any invalid row or refused conflict;
    nothing is written then."""
    actors = load_actors(path)
    lines = {r.actor.id: r.line for r in read_actor_rows(path, Path(path).read_bytes()) if r.actor}
    owners = actor_records.actors_with_sirets(ctx.records, [a.siret for a in actors if a.siret])
    conflicts = {
        a.id: other
        for a in actors
        if (other := next((o for o in owners.get(a.siret or "", []) if o != a.id), None))
    }
    if conflicts and on_siret_conflict == "refuse":
        raise ValidationError(
            "\n".join(
                f"{path}:{lines.get(new_id, '?')}: acteur {new_id!r}, champ 'siret' : SIRET déjà "
                f"utilisé par l'acteur {old_id!r} (--on-siret-conflict=merge ou replace pour "
                f"mettre à jour {old_id!r})"
                for new_id, old_id in conflicts.items()
            )
        )
    stored = {a.id: a for a in actor_records.get_actors(ctx.records, list(conflicts.values()))}
    resolved = []
    for actor in actors:
        old_id = conflicts.get(actor.id)
        if old_id is None:
            resolved.append(actor)
        elif on_siret_conflict == "merge":
            resolved.append(_merged(stored[old_id], actor))
        else:
            resolved.append(actor.model_copy(update={"id": old_id}))
    report = save_actors(ctx, resolved)
    report.conflicts = [(new, old, on_siret_conflict) for new, old in conflicts.items()]
    return report


def _merged(stored: Actor, incoming: Actor) -> Actor:
    from veilleuse.app.actor_import import merged  # actor_import imports this module

    return merged(stored, incoming.model_copy(update={"id": stored.id}))


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
