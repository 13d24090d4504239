"""Import actor profiles from a CSV or XLSX file in two steps: a preview, then a confirmation.

`preview_import` reads the file row by row and says, for each row, whether it would create or
update an actor, or why it cannot be imported — and writes nothing. The web page keeps the file
between the two steps with `stage_import` (under `<data_dir>/imports/`, behind a random token
bound to the user, for `STAGED_FOR`); `confirm_import` checks the rows again against the records
as they are then, writes the valid ones and assigns them to the territory.

A row is refused when its identifier belongs to an actor of another territory, or when its
SIRET belongs to another actor: a file never silently overwrites someone else's profile.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from veilleuse.app.actors import save_actors
from veilleuse.app.context import Context
from veilleuse.core.accounts import Permission, User, can, visible_territories
from veilleuse.core.actors_io import CSV_COLUMNS, CSV_OPTIONAL_COLUMNS, read_actor_rows
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.models import Actor
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records

#: how long an uploaded file waits for its confirmation
STAGED_FOR = timedelta(hours=1)
#: the largest file accepted
MAX_BYTES = 5 * 1024 * 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
#: the columns a file may have (the first three are required), for the import page
COLUMNS = (*CSV_COLUMNS, *CSV_OPTIONAL_COLUMNS)

Action = Literal["create", "update", "error"]


@dataclass
class PreviewRow:
    line: int
    #: the identifier as written in the file (None when the cell is empty)
    raw_id: str | None
    actor: Actor | None
    #: French, each naming the field: "champ 'siret' : …"
    errors: list[str]
    action: Action


@dataclass
class ImportPreview:
    filename: str
    territory_id: str
    rows: list[PreviewRow]

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def valid(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.action != "error"]


def preview_import(ctx: Context, filename: str, content: bytes, territory_id: str) -> ImportPreview:
    """What importing the file into `territory_id` would do, row by row; writes nothing.

    Raises ValidationError for a problem of the whole file (type, encoding, columns) and
    NotFoundError for an unknown territory.
    """
    if territory_records.get_territory(ctx.records, territory_id) is None:
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")
    parsed = read_actor_rows(filename, content)
    records = ctx.records
    ids = [p.actor.id for p in parsed if p.actor is not None]
    sirets = [p.actor.siret for p in parsed if p.actor is not None and p.actor.siret]
    stored = {e.actor.id: e.actor for e in actor_records.actor_entries(records, ids)}
    owners = actor_records.actors_with_sirets(records, sirets)
    where = territory_records.territories_of_actors(
        records, [*stored, *(o for found in owners.values() for o in found)]
    )
    names = {a.id: a.name for a in actor_records.get_actors(records, list(where))}
    rows = []
    for row in parsed:
        errors = [str(problem) for problem in row.problems]
        actor = row.actor
        if actor is not None:
            if actor.id in stored and where.get(actor.id, territory_id) != territory_id:
                errors.append(
                    "champ 'id' : identifiant déjà utilisé par une structure d'un autre territoire"
                )
            other = next((o for o in owners.get(actor.siret or "", []) if o != actor.id), None)
            if other is not None:
                whose = (
                    f"l'acteur « {names.get(other, other)} » ({other})"
                    if where.get(other) == territory_id
                    else "une structure d'un autre territoire"
                )
                errors.append(f"champ 'siret' : SIRET déjà utilisé par {whose}")
        action: Action = (
            "error" if errors or actor is None else ("update" if actor.id in stored else "create")
        )
        if actor is not None and action == "update":
            actor = merged(stored[actor.id], actor)
        rows.append(PreviewRow(row.line, row.raw_id, actor, errors, action))
    return ImportPreview(filename, territory_id, rows)


def merged(stored: Actor, incoming: Actor) -> Actor:
    """`stored` with the fields the file gives: a spreadsheet cannot carry digest preferences
    or a second contact, so an update keeps those (and every field the row leaves empty).
    CPV codes of the row are declared; stored suggested codes it does not list stay suggested
    (an export writes declared codes only, so a round trip keeps the suggestions)."""
    given = incoming.model_fields_set
    update = {
        name: getattr(incoming, name)
        for name in given - {"territory", "capacity", "contacts", "digest", "cpv_interests"}
    }
    if "cpv_interests" in given:
        listed = set(incoming.cpv_codes())
        kept = [c for c in stored.cpv_interests if not c.declared and c.code not in listed]
        update["cpv_interests"] = [*incoming.cpv_interests, *kept]
    for name in ("territory", "capacity"):
        if name in given:
            part = getattr(incoming, name)
            values = {f: getattr(part, f) for f in part.model_fields_set}
            update[name] = getattr(stored, name).model_copy(update=values)
    if "contacts" in given:
        update["contacts"] = [*incoming.contacts[:1], *stored.contacts[1:]]
    return stored.model_copy(update=update)


# --------------------------------------------------------------------------- two steps


def _check(ctx: Context, user: User, territory_id: str) -> None:
    if not can(user, Permission.ACTORS_IMPORT):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas d'importer des structures."
        )
    seen = visible_territories(user)
    if seen is not None and territory_id not in seen:
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")


def _folder(ctx: Context) -> Path:
    return ctx.settings.data_dir / "imports"


def _forget_expired(ctx: Context, now: datetime) -> None:
    folder = _folder(ctx)
    for meta in folder.glob("*.json") if folder.is_dir() else []:
        try:
            staged = datetime.fromisoformat(json.loads(meta.read_text())["at"])
        except (OSError, ValueError, KeyError):
            staged = now - 2 * STAGED_FOR
        if now - staged > STAGED_FOR:
            meta.unlink(missing_ok=True)
            meta.with_suffix(".data").unlink(missing_ok=True)


def stage_import(
    ctx: Context, filename: str, content: bytes, territory_id: str, user: User
) -> tuple[str, ImportPreview]:
    """Preview the file and keep it for `confirm_import`: returns (token, preview)."""
    _check(ctx, user, territory_id)
    if len(content) > MAX_BYTES:
        raise ValidationError(f"{filename} : fichier trop volumineux (5 Mo au plus)")
    preview = preview_import(ctx, filename, content, territory_id)
    now = ctx.now()
    _forget_expired(ctx, now)
    folder = _folder(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(content)
    meta = {"user": user.id, "filename": filename, "territory": territory_id, "at": now.isoformat()}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token, preview


@dataclass
class ImportOutcome:
    territory_id: str
    created: int
    updated: int
    #: rows left out because of their errors (as the confirmation found them)
    refused: list[PreviewRow] = field(default_factory=list)
    #: actor id → CPV codes suggested from past contracts or the description (to confirm)
    suggested: dict[str, list[str]] = field(default_factory=dict)


def confirm_import(ctx: Context, token: str, user: User) -> ImportOutcome:
    """Write the valid rows of a staged file and assign them to its territory.

    The rows are checked again first (the records may have changed since the preview). An
    unknown, expired or someone else's token is NotFoundError; the staged file is then gone.
    """
    folder = _folder(ctx)
    meta_path = folder / f"{token}.json"
    gone = NotFoundError("aperçu d'import inconnu ou expiré : déposez le fichier à nouveau")
    if not _TOKEN.fullmatch(token) or not meta_path.is_file():
        raise gone
    meta = json.loads(meta_path.read_text())
    if meta.get("user") != user.id:
        raise gone
    if ctx.now() - datetime.fromisoformat(meta["at"]) > STAGED_FOR:
        _forget_expired(ctx, ctx.now())
        raise gone
    territory_id = str(meta["territory"])
    _check(ctx, user, territory_id)
    content = meta_path.with_suffix(".data").read_bytes()
    preview = preview_import(ctx, str(meta["filename"]), content, territory_id)
    actors = [row.actor for row in preview.valid() if row.actor is not None]
    report = save_actors(ctx, actors) if actors else None
    territory_records.set_actor_territories(ctx.records, {a.id: territory_id for a in actors})
    meta_path.unlink(missing_ok=True)
    meta_path.with_suffix(".data").unlink(missing_ok=True)
    refused = [row for row in preview.rows if row.action == "error"]
    if report is None:
        return ImportOutcome(territory_id, 0, 0, refused)
    return ImportOutcome(territory_id, report.created, report.updated, refused, report.suggested)
