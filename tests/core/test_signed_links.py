"""Signed digest links: a token names one actor, one action and maybe one notice, until it
expires; any change to it is refused, in French. Actor ids and notice uids are invented."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from veilleuse.core.signed_links import (
    KEY_LABEL,
    ExpiredLinkError,
    LinkAction,
    LinkError,
    TamperedLinkError,
    WrongActionLinkError,
    WrongTargetLinkError,
    derive_link_key,
    lifetime,
    read_link,
    sign_link,
    verify_link,
)

NOW = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
KEY = derive_link_key("une clé de session assez longue pour les tests")
LATER = NOW + timedelta(days=60)


def token(
    action: LinkAction = LinkAction.INTERESTED,
    actor: str = "regie-nord",
    notice: str | None = "boamp:26-123456",
    expires: datetime = LATER,
) -> str:
    return sign_link(KEY, actor, action, notice if action.on_notice else None, expires=expires)


def flip(text: str, index: int) -> str:
    """The token with one byte of its payload changed (re-encoded, so still valid base64)."""
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_a_token_says_what_it_was_signed_for() -> None:
    link = verify_link(KEY, token(), now=NOW, actions=LinkAction.INTERESTED)
    assert (link.actor_id, link.action, link.notice_uid) == (
        "regie-nord",
        LinkAction.INTERESTED,
        "boamp:26-123456",
    )
    assert link.expires == LATER
    account = verify_link(KEY, token(LinkAction.UNSUBSCRIBE), now=NOW)
    assert account.notice_uid is None and account.action is LinkAction.UNSUBSCRIBE


def test_tokens_are_compact_and_url_safe() -> None:
    text = token(notice="ted:475939-2026")
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(text) < 80  # fits in one line of a plain-text e-mail with its address
    assert len(token(LinkAction.PREFERENCES)) < 50


def test_every_byte_is_signed() -> None:
    """Changing any one byte (action, expiry, actor, notice or signature) is refused."""
    text = token()
    length = len(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    for index in range(length):
        with pytest.raises(TamperedLinkError):
            verify_link(KEY, flip(text, index), now=NOW)


@pytest.mark.parametrize(
    "broken",
    ["", "a", "!!!!", "regie-nord", "é" * 10, "A" * 5000, "AAAA.AAAA"],
)
def test_garbage_is_tampered(broken: str) -> None:
    with pytest.raises(TamperedLinkError):
        read_link(KEY, broken)


def test_cut_or_lengthened_tokens_are_refused() -> None:
    text = token()
    for changed in (text[:-1], text[:-4], text[4:], text + "A", text + "AAAA"):
        with pytest.raises(TamperedLinkError):
            verify_link(KEY, changed, now=NOW)


def test_another_key_is_tampered() -> None:
    other = derive_link_key("une autre clé de session assez longue")
    with pytest.raises(TamperedLinkError, match="modifié"):
        verify_link(other, token(), now=NOW)


def test_the_key_is_derived_never_the_secret_itself() -> None:
    secret = "une clé de session assez longue pour les tests"
    assert derive_link_key(secret) != secret.encode()
    assert derive_link_key(secret) != derive_link_key(secret, b"veilleuse api cursor v1")
    assert KEY_LABEL.startswith(b"veilleuse digest links")
    with pytest.raises(ValueError):
        derive_link_key("court")


def test_expired() -> None:
    text = token(expires=NOW + timedelta(days=1))
    verify_link(KEY, text, now=NOW + timedelta(hours=23))
    with pytest.raises(ExpiredLinkError) as caught:
        verify_link(KEY, text, now=NOW + timedelta(days=1))
    assert caught.value.status == 410
    assert "a expiré le 24 novembre 2026" in str(caught.value)


def test_another_action_is_refused() -> None:
    interested = token(LinkAction.INTERESTED)
    with pytest.raises(WrongActionLinkError) as caught:
        verify_link(KEY, interested, now=NOW, actions=LinkAction.NOT_FOR_US)
    assert caught.value.status == 400
    assert "« ça nous intéresse »" in str(caught.value)
    with pytest.raises(WrongActionLinkError):
        verify_link(KEY, token(LinkAction.PREFERENCES), now=NOW, actions={LinkAction.UNSUBSCRIBE})
    verify_link(
        KEY, interested, now=NOW, actions={LinkAction.INTERESTED, LinkAction.PARTNERS}
    )  # one of several


def test_another_actor_or_notice_is_refused() -> None:
    text = token(actor="regie-nord", notice="boamp:1")
    with pytest.raises(WrongTargetLinkError):
        verify_link(KEY, text, now=NOW, actor_id="esat-loire")
    with pytest.raises(WrongTargetLinkError):
        verify_link(KEY, text, now=NOW, notice_uid="boamp:2")
    verify_link(KEY, text, now=NOW, actor_id="regie-nord", notice_uid="boamp:1")
    # the same action for another actor or notice is another token, not a variant of this one
    assert token(actor="esat-loire", notice="boamp:1") != text
    assert token(actor="regie-nord", notice="boamp:2") != text


def test_wrong_action_comes_before_expiry_and_errors_are_link_errors() -> None:
    old = token(LinkAction.INTERESTED, expires=NOW - timedelta(days=1))
    with pytest.raises(WrongActionLinkError):
        verify_link(KEY, old, now=NOW, actions=LinkAction.UNSUBSCRIBE)
    for kind in (TamperedLinkError, ExpiredLinkError, WrongActionLinkError, WrongTargetLinkError):
        assert issubclass(kind, LinkError)


def test_signing_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="needs notice"):
        sign_link(KEY, "a", LinkAction.PARTNERS, None, expires=LATER)
    with pytest.raises(ValueError, match="takes no notice"):
        sign_link(KEY, "a", LinkAction.UNSUBSCRIBE, "boamp:1", expires=LATER)
    with pytest.raises(ValueError, match="timezone"):
        sign_link(KEY, "a", LinkAction.UNSUBSCRIBE, expires=datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="too long"):
        sign_link(KEY, "a" * 65, LinkAction.UNSUBSCRIBE, expires=LATER)
    accented = sign_link(KEY, "régie-été", LinkAction.NOT_FOR_US, "aap:çà", expires=LATER)
    link = verify_link(KEY, accented, now=NOW)
    assert (link.actor_id, link.notice_uid) == ("régie-été", "aap:çà")


def test_lifetimes() -> None:
    assert lifetime(LinkAction.INTERESTED, 60, 365) == timedelta(days=60)
    assert lifetime(LinkAction.PARTNERS, 60, 365) == timedelta(days=60)
    for action in (LinkAction.PREFERENCES, LinkAction.UNSUBSCRIBE, LinkAction.RESUBSCRIBE):
        assert lifetime(action, 60, 365) == timedelta(days=365)
