"""`veilleuse users create | list | disable`: accounts of the web application."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from veilleuse.cli.output import out
from veilleuse.core.accounts import Role

users_app = typer.Typer(help="Accounts of the web application.", no_args_is_help=True)
ROLES = ", ".join(r.value for r in Role)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="E-mail address (the login)")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}")],
    territory: Annotated[
        str | None, typer.Option(help="Territory id (needed by officer, staff and committee)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Actor id (role actor only)")] = None,
    name: Annotated[str, typer.Option(help="Name shown in pages")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create an account; the password is asked twice (hidden) unless --password-stdin."""
    from veilleuse.app import accounts
    from veilleuse.app.context import Context

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    with Context() as ctx:
        user = accounts.create_user(ctx, email, name, role, password, territory, actor)
    out.print(f"account {user.id} created: {user.email} ({user.role.value})")


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    from veilleuse.app import accounts
    from veilleuse.app.context import Context

    table = Table("id", "e-mail", "name", "role", "territory", "actor", "active")
    with Context() as ctx:
        for u in accounts.list_users(ctx):
            table.add_row(
                str(u.id),
                u.email,
                u.name,
                u.role.value,
                u.territory_id or "",
                u.actor_id or "",
                "yes" if u.active else "no",
            )
    out.print(table)


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="E-mail of the account")]) -> None:
    """Disable an account: no more login, its sessions and API tokens stop working."""
    from veilleuse.app import accounts
    from veilleuse.app.context import Context

    with Context() as ctx:
        user = accounts.disable_user(ctx, accounts.get_user_by_email(ctx, email).id)
    out.print(f"account {user.email} disabled")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
