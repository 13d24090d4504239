"""The demonstration's accounts: demo territories (Valenciennes Métropole and the MEL), actor
assignments by place and, per territory, a watch officer, staff and committee account (plus an
administrator and one actor), each with the documented `web.demo_password`, created (or set
back) idempotently. The accounts are constructed for the demo (`.test` addresses).

Refused in a data folder that holds other accounts and was not made by the demo, so a known
password never lands in a real deployment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from veilleuse.app import territories
from veilleuse.app.accounts import create_user, list_users
from veilleuse.app.context import Context
from veilleuse.app.passwords import hasher, verify_password
from veilleuse.app.territory_searches import ensure_buyers_search
from veilleuse.core.accounts import Role
from veilleuse.core.actors_io import demo_actors_path, load_actors
from veilleuse.core.errors import ValidationError
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records

DEMO_MARKER = ".veilleuse-demo"

#: (e-mail, name, role, territory, actor). `.test` addresses can never receive mail.
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, str | None, str | None], ...] = (
    ("admin@veilleuse.test", "Administration (démo)", Role.ADMIN, None, None),
    ("veille@valenciennes.test", "Chargé·e de veille Valenciennes (démo)", Role.OFFICER,
     "valenciennes", None),
    ("veille@mel.test", "Chargé·e de veille MEL (démo)", Role.OFFICER, "mel", None),
    ("reseau@valenciennes.test", "Équipe du réseau (démo)", Role.STAFF, "valenciennes", None),
    ("comite@valenciennes.test", "Comité de pilotage (démo)", Role.COMMITTEE, "valenciennes",
     None),
    ("reseau@mel.test", "Équipe du réseau MEL (démo)", Role.STAFF, "mel", None),
    ("comite@mel.test", "Comité de pilotage MEL (démo)", Role.COMMITTEE, "mel", None),
    ("esat@acteurs.test", "ESAT Les Jardins de l'Escaut (démo)", Role.ACTOR, "valenciennes",
     "esat-jardins-escaut"),
)  # fmt: skip
DEMO_OFFICER = "veille@valenciennes.test"


@dataclass
class DemoSeedReport:
    territories_created: int
    actors_assigned: int
    users_created: list[str] = field(default_factory=list)
    #: demo accounts whose password no longer was the demo password (set back)
    passwords_reset: list[str] = field(default_factory=list)
    login_url: str = ""
    officer_email: str = DEMO_OFFICER
    #: every demo account: (e-mail, French role label)
    accounts: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""
    #: « Acheteurs du territoire » searches given to the officers and staff
    searches_created: int = 0
    #: territory name → its number of actors (actors outside every territory are left out)
    actors_per_territory: dict[str, int] = field(default_factory=dict)


def seed_demo(ctx: Context) -> DemoSeedReport:
    """Demo territories, actor assignments and one account per role, idempotently.

    Every demo account gets the documented `web.demo_password`. Refused (ValidationError) in a
    data folder that holds other accounts and was not made by the demo, so a known password
    never lands in a real deployment.
    """
    settings = ctx.settings
    marker = settings.data_dir / DEMO_MARKER
    demo_emails = {email for email, *_ in DEMO_ACCOUNTS}
    others = [u.email for u in list_users(ctx) if u.email not in demo_emails]
    if others and not marker.exists():
        raise ValidationError(
            f"{settings.data_dir}: ce dossier de données contient des comptes réels "
            f"({len(others)}) : les comptes de démonstration n'y sont pas créés."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("Dossier de données de la démonstration (comptes à mot de passe connu).\n")
    if any(actor_records.get_actor(ctx.records, a) is None for *_, a in DEMO_ACCOUNTS if a):
        from veilleuse.app.actors import ensure_demo_actors  # matching is heavy: load on need

        ensure_demo_actors(ctx)
    created, assigned = territories.seed_demo_territories(ctx)
    # a folder seeded by an older demo kept its invented assignment: place the demo actors again
    territories.place_actors(ctx, (a.id for a in load_actors(demo_actors_path())))
    password = settings.web.demo_password
    report = DemoSeedReport(created, assigned, password=password)
    report.login_url = settings.web.base_url.rstrip("/") + "/connexion"
    ph = hasher(settings.web)
    served = {t.id: t for t in territories.list_territories(ctx)}
    for territory in served.values():
        count = len(territories.actor_ids_in(ctx, [territory.id]))
        report.actors_per_territory[territory.name] = count
    for email, name, role, territory_id, actor_id in DEMO_ACCOUNTS:
        report.accounts.append((email, role.label))
        found = account_records.password_hash_for(ctx.records, email)
        if found is None:
            user = create_user(ctx, email, name, role, password, territory_id, actor_id)
            report.users_created.append(email)
        else:
            user, password_hash = found
            if not verify_password(ph, password_hash, password):
                account_records.set_password_hash(
                    ctx.records, user.id, ph.hash(password), ctx.now()
                )
                report.passwords_reset.append(email)
            if not user.active:
                account_records.set_active(ctx.records, user.id, True)
        if role in (Role.OFFICER, Role.STAFF) and territory_id in served:
            report.searches_created += ensure_buyers_search(ctx, user, served[territory_id])
    return report
