"""Signed links of the digest: their key, their URLs, and opening one (`core.signed_links`).

A link is `<web.base_url>/lien/<token>`. The key is derived from `mail.link_secret`, else from
the web session key (`web.secret_key`, else <data_dir>/web_secret — the file the web server
uses, created on first use), always under the label of `core.signed_links.KEY_LABEL`: the
session key itself never signs a link. The digest stage and the web server compute the same key
from the same settings and data folder.

A link lives `mail.link_days` (default 60) when it acts on one notice, `mail.link_account_days`
(default 365) for the preferences, unsubscribe and resubscribe links. What each link does is in
`app.link_actions` and `app.link_preferences`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.app.web_server import session_secret
from veilleuse.config.settings import Settings
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import Actor, Notice
from veilleuse.core.signed_links import (
    LinkAction,
    SignedLink,
    derive_link_key,
    lifetime,
    sign_link,
    verify_link,
)
from veilleuse.digests.compose import Digest
from veilleuse.digests.render import DigestLinks, LineLinks
from veilleuse.records import actors as actor_records

LINK_PATH = "/lien/"


def link_key(settings: Settings) -> bytes:
    """The key signing and checking links (see the module docstring)."""
    secret = settings.mail.link_secret
    return derive_link_key(
        secret.get_secret_value() if secret is not None else session_secret(settings)
    )


def link_path(token: str) -> str:
    return f"{LINK_PATH}{token}"


@dataclass(frozen=True)
class LinkMaker:
    """Signs links valid from `now` (their lifetime from the settings)."""

    key: bytes
    base_url: str
    now: datetime
    notice_days: int
    account_days: int

    @classmethod
    def from_settings(cls, settings: Settings, now: datetime) -> LinkMaker:
        return cls(
            key=link_key(settings),
            base_url=settings.web.base_url.rstrip("/"),
            now=now,
            notice_days=settings.mail.link_days,
            account_days=settings.mail.link_account_days,
        )

    def token(self, actor_id: str, action: LinkAction, notice_uid: str | None = None) -> str:
        expires = self.now + lifetime(action, self.notice_days, self.account_days)
        return sign_link(self.key, actor_id, action, notice_uid, expires=expires)

    def path(self, actor_id: str, action: LinkAction, notice_uid: str | None = None) -> str:
        """'/lien/<token>', for a page of the site."""
        return link_path(self.token(actor_id, action, notice_uid))

    def url(self, actor_id: str, action: LinkAction, notice_uid: str | None = None) -> str:
        """'<web.base_url>/lien/<token>', for an e-mail."""
        return self.base_url + self.path(actor_id, action, notice_uid)


def digest_links(maker: LinkMaker, digest: Digest) -> DigestLinks:
    """Every link of one digest: the footer's and three per line."""
    actor_id = digest.actor.id
    return DigestLinks(
        preferences=maker.url(actor_id, LinkAction.PREFERENCES),
        unsubscribe=maker.url(actor_id, LinkAction.UNSUBSCRIBE),
        lines={
            line.notice.uid: LineLinks(
                interested=maker.url(actor_id, LinkAction.INTERESTED, line.notice.uid),
                not_for_us=maker.url(actor_id, LinkAction.NOT_FOR_US, line.notice.uid),
                partners=maker.url(actor_id, LinkAction.PARTNERS, line.notice.uid),
            )
            for line in digest.lines
        },
    )


def page_links(ctx: Context) -> LinkMaker:
    """A maker for the links a page shows (valid from now)."""
    return LinkMaker.from_settings(ctx.settings, ctx.now())


# --------------------------------------------------------------------------- opening a link


@dataclass(frozen=True)
class LinkTarget:
    """A link that may be used now, with what it names."""

    token: str
    link: SignedLink
    actor: Actor
    #: the notice of a notice action (None for the others)
    notice: Notice | None

    @property
    def action(self) -> LinkAction:
        return self.link.action


def open_link(
    ctx: Context, token: str, actions: LinkAction | Collection[LinkAction] | None = None
) -> LinkTarget:
    """The actor (and notice) of a token usable now for one of `actions` (None: any).

    Raises the `core.signed_links.LinkError` of a tampered, expired or misused token, and
    `NotFoundError` when its actor or notice is no longer stored. Changes nothing.
    """
    link = verify_link(link_key(ctx.settings), token, now=ctx.now(), actions=actions)
    actor = actor_records.get_actor(ctx.records, link.actor_id)
    if actor is None:
        raise NotFoundError(
            "Cette structure n'est plus suivie par la veille : ce lien ne sert plus."
        )
    notice = None
    if link.notice_uid is not None:
        notice = ctx.store.get(link.notice_uid)
        if notice is None:
            raise NotFoundError("Cet avis n'est plus disponible dans Veilleuse.")
    return LinkTarget(token, link, actor, notice)
