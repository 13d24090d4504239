"""Signed links of the digest: one actor does one thing from an e-mail, without a password.

A token names one actor, one action (`LinkAction`) and, for the actions on one opportunity, one
notice, with the instant it expires; it is signed with HMAC-SHA256 under a key only the server
holds (`derive_link_key`). The token is a credential, like a password-reset link: whoever holds
it may do that one thing for that actor until it expires, and nothing else — changing any byte
(another actor, another notice, another action, a later expiry) breaks the signature.

Layout of a token (then URL-safe base64 without padding: letters, digits, `-` and `_`):

    version (1 byte) | action (1 byte) | expiry (4 bytes: seconds since 1970, big-endian)
    | length of the actor id (1 byte) | actor id (UTF-8) | notice uid (UTF-8, the rest; may be
    empty) | signature (the first 16 bytes of HMAC-SHA256 over everything before it)

Pure: no clock (callers pass `now`), no settings (callers pass the key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from veilleuse.core.deadlines import calendar_day, format_date_fr
from veilleuse.core.errors import VeilleuseError

VERSION = 1
#: the context label of the key derivation: a link key is never the secret it comes from
KEY_LABEL = b"veilleuse digest links v1"
SIGNATURE_BYTES = 16
MAX_ACTOR_ID = 64
MAX_NOTICE_UID = 200
#: longer than any token `sign_link` makes (base64 of the largest payload): refused unread
MAX_TOKEN_LENGTH = 4 * (6 + 1 + 4 * MAX_ACTOR_ID + 4 * MAX_NOTICE_UID + SIGNATURE_BYTES) // 3 + 4
_HEADER = struct.Struct(">BBIB")


class LinkAction(StrEnum):
    """What a link does. The first three act on one notice, the next three on the actor's
    digest; the last one answers an introduction for one notice."""

    INTERESTED = "interested"
    NOT_FOR_US = "not_for_us"
    PARTNERS = "partners"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    RESUBSCRIBE = "resubscribe"
    #: answer an introduction to partners for a notice (`app.introductions`; its tokens are
    #: signed under a key of their own, so they open the introduction page only)
    INTRODUCTION = "introduction"

    @property
    def label(self) -> str:
        """The words of the link in the digest (« ça nous intéresse »…)."""
        return ACTION_LABELS[self]

    @property
    def on_notice(self) -> bool:
        """True for the actions on one opportunity (their token names a notice)."""
        return self in NOTICE_ACTIONS


ACTION_LABELS = {
    LinkAction.INTERESTED: "ça nous intéresse",
    LinkAction.NOT_FOR_US: "pas pour nous",
    LinkAction.PARTNERS: "chercher des partenaires",
    LinkAction.PREFERENCES: "mes préférences",
    LinkAction.UNSUBSCRIBE: "me désabonner",
    LinkAction.RESUBSCRIBE: "me réabonner",
    LinkAction.INTRODUCTION: "répondre à la mise en relation",
}
NOTICE_ACTIONS = frozenset(
    {LinkAction.INTERESTED, LinkAction.NOT_FOR_US, LinkAction.PARTNERS, LinkAction.INTRODUCTION}
)
#: one byte per action in the token; never renumber (links already sent would change meaning)
_CODES = {
    LinkAction.INTERESTED: 1,
    LinkAction.NOT_FOR_US: 2,
    LinkAction.PARTNERS: 3,
    LinkAction.PREFERENCES: 4,
    LinkAction.UNSUBSCRIBE: 5,
    LinkAction.RESUBSCRIBE: 6,
    LinkAction.INTRODUCTION: 7,
}
_ACTIONS = {code: action for action, code in _CODES.items()}


# --------------------------------------------------------------------------- errors


class LinkError(VeilleuseError):
    """A signed link that cannot be used; the message, in French, is shown to the visitor and
    `status` is the HTTP status of the page that says so. Nothing is changed."""

    status = 400


class TamperedLinkError(LinkError):
    """The token is cut, altered or was not signed by this server (another key)."""

    def __init__(self) -> None:
        super().__init__(
            "Ce lien est incomplet ou a été modifié : il ne peut pas être utilisé. Ouvrez le "
            "lien tel qu'il figure dans le courriel (sans le recopier à la main) ou utilisez "
            "celui du dernier courriel de veille reçu."
        )


class ExpiredLinkError(LinkError):
    """The token's expiry has passed."""

    status = 410

    def __init__(self, expired: datetime) -> None:
        self.expired = expired
        super().__init__(
            f"Ce lien a expiré le {format_date_fr(calendar_day(expired))}. Les liens des courriels de veille ont une durée "
            "limitée : utilisez ceux du dernier courriel reçu."
        )


class WrongActionLinkError(LinkError):
    """A valid token used for another action than its own (a link replayed elsewhere)."""

    def __init__(self, action: LinkAction) -> None:
        self.action = action
        super().__init__(
            f"Ce lien sert à « {action.label} » et ne peut pas servir à autre chose. Utilisez "
            "le lien prévu pour cette action dans le courriel de veille."
        )


class WrongTargetLinkError(LinkError):
    """A valid token presented for another actor or another notice than the one it names."""

    def __init__(self) -> None:
        super().__init__(
            "Ce lien concerne une autre structure ou un autre avis : il ne peut pas servir ici."
        )


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class SignedLink:
    """What a verified token says."""

    actor_id: str
    action: LinkAction
    notice_uid: str | None
    expires: datetime


def derive_link_key(secret: str | bytes, label: bytes = KEY_LABEL) -> bytes:
    """The signing key of links: HMAC-SHA256(secret, label), never `secret` itself, so a key
    shared with another use (the session key) signs nothing that use would accept."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(raw) < 16:
        raise ValueError("link secret too short (at least 16 bytes)")
    return hmac.new(raw, label, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii() or any(not (c.isalnum() or c in "-_") for c in text):
        raise TamperedLinkError()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TamperedLinkError() from None


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def sign_link(
    key: bytes,
    actor_id: str,
    action: LinkAction,
    notice_uid: str | None = None,
    *,
    expires: datetime,
) -> str:
    """A token for `action` by `actor_id` (on `notice_uid` for a notice action), valid until
    `expires` (aware). `ValueError` for a notice missing or given where it does not belong."""
    if expires.tzinfo is None:
        raise ValueError("sign_link(expires=...) needs a timezone-aware datetime")
    if action.on_notice != bool(notice_uid):
        need = "needs" if action.on_notice else "takes no"
        raise ValueError(f"the {action.value} link {need} notice uid")
    actor = actor_id.encode("utf-8")
    notice = (notice_uid or "").encode("utf-8")
    if not 0 < len(actor) <= MAX_ACTOR_ID or len(notice) > MAX_NOTICE_UID:
        raise ValueError(f"actor id or notice uid too long for a link: {actor_id!r}")
    seconds = int(expires.timestamp())
    body = _HEADER.pack(VERSION, _CODES[action], seconds, len(actor)) + actor + notice
    return _b64(body + _mac(key, body))


def read_link(key: bytes, token: str) -> SignedLink:
    """The content of a token whose signature holds, whatever its expiry or action;
    `TamperedLinkError` otherwise. The signature is compared in constant time."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TamperedLinkError()
    data = _unb64(token)
    if len(data) < _HEADER.size + 1 + SIGNATURE_BYTES:
        raise TamperedLinkError()
    body, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    if not hmac.compare_digest(_mac(key, body), signature):
        raise TamperedLinkError()
    version, code, seconds, actor_length = _HEADER.unpack_from(body)
    rest = body[_HEADER.size :]
    action = _ACTIONS.get(code)
    if version != VERSION or action is None or not 0 < actor_length <= len(rest):
        raise TamperedLinkError()  # signed by us, yet unreadable: a future or broken format
    try:
        actor_id = rest[:actor_length].decode("utf-8")
        notice_uid = rest[actor_length:].decode("utf-8") or None
    except UnicodeDecodeError:
        raise TamperedLinkError() from None
    if action.on_notice != (notice_uid is not None):
        raise TamperedLinkError()
    return SignedLink(actor_id, action, notice_uid, datetime.fromtimestamp(seconds, UTC))


def verify_link(
    key: bytes,
    token: str,
    *,
    now: datetime,
    actions: LinkAction | Collection[LinkAction] | None = None,
    actor_id: str | None = None,
    notice_uid: str | None = None,
) -> SignedLink:
    """The content of a token that may be used now for one of `actions` (None: any), for
    `actor_id` and `notice_uid` when given. Raises, in this order: `TamperedLinkError`,
    `WrongActionLinkError`, `WrongTargetLinkError`, `ExpiredLinkError`."""
    link = read_link(key, token)
    allowed = {actions} if isinstance(actions, LinkAction) else actions
    if allowed is not None and link.action not in allowed:
        raise WrongActionLinkError(link.action)
    if (actor_id is not None and actor_id != link.actor_id) or (
        notice_uid is not None and notice_uid != link.notice_uid
    ):
        raise WrongTargetLinkError()
    if now >= link.expires:
        raise ExpiredLinkError(link.expires)
    return link


def lifetime(action: LinkAction, notice_days: int, account_days: int) -> timedelta:
    """How long a new link lives: `notice_days` for the actions on one notice, `account_days`
    for preferences, unsubscribe and resubscribe."""
    return timedelta(days=notice_days if action.on_notice else account_days)
