"""The pages behind the digest's signed links: no login, each link does one thing for one
actor; twice counts once; a tampered, expired or misused link shows a French page and changes
nothing; the forms keep their CSRF check, the RFC 8058 one-click unsubscribe needs none.

The world is `bid_data.seed_bid_world` (two Valenciennes actors matched with a two-lot tender
and suggested together); links are signed with the application's own `LinkMaker`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from bid_data import ACTIV, ESAT, EVE, LILLE, TITLE, UID, seed_bid_world
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from veilleuse.app.context import Context
from veilleuse.app.digest_links import LinkMaker, link_key
from veilleuse.config.settings import Settings
from veilleuse.core.bids import BidFilters, BidStage
from veilleuse.core.models import Notice, NoticeKind, NoticeStatus
from veilleuse.core.signed_links import LinkAction, read_link, sign_link
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records
from veilleuse.records.tables import FeedbackRow
from veilleuse.web.middleware import CSP

Clients = Callable[[str | None], TestClient]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r'href="(/lien/[A-Za-z0-9_-]+)"')


@pytest.fixture
def world(web_app: tuple[FastAPI, Settings]) -> tuple[Context, Settings]:
    app, settings = web_app
    ctx: Context = app.state.ctx
    seed_bid_world(ctx)
    return ctx, settings


def path(settings: Settings, actor: str, action: LinkAction, notice: str | None = None) -> str:
    maker = LinkMaker.from_settings(settings, Context.now())
    return maker.path(actor, action, notice if action.on_notice else None)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:300]
    return found.group(1)


def tampered(link: str) -> str:
    token = token_of(link)
    swapped = "A" if token[10] != "A" else "B"
    return f"/lien/{token[:10]}{swapped}{token[11:]}"


def interests(ctx: Context, actor: str) -> list[str]:
    return [i.notice_uid for i in interest_records.interests_of_actors(ctx.records, {actor})]


def feedback_rows(ctx: Context) -> int:
    with ctx.records.session() as s:
        return int(s.scalar(select(func.count()).select_from(FeedbackRow)) or 0)


# --------------------------------------------------------------------------- ça nous intéresse


def test_interest_is_recorded_once_and_confirmed(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.INTERESTED, UID)
    client = client_for(None)
    first = client.get(link)
    assert first.status_code == 200
    assert "C'est noté : cet avis vous intéresse" in first.text
    assert TITLE in first.text and "Ville de Valenciennes" in first.text
    assert "Date limite" in first.text and "au plus tard le" in first.text
    assert first.headers["x-robots-tag"] == "noindex, nofollow"
    assert first.headers["content-security-policy"] == CSP
    partners = [read_link(link_key(settings), token_of(p)) for p in _LINK.findall(first.text)]
    assert {(p.actor_id, p.action, p.notice_uid) for p in partners} == {
        (ESAT, LinkAction.PARTNERS, UID),
        (ESAT, LinkAction.NOT_FOR_US, UID),
    }
    second = client_for(None).get(link)
    assert second.status_code == 200
    assert "Vous aviez déjà dit que cet avis vous intéresse" in second.text
    assert interests(ctx, ESAT) == [UID]  # twice counts once
    (interest,) = interest_records.interests_of_actors(ctx.records, {ESAT})
    assert interest.by_user_id is None


def test_a_tampered_or_expired_link_changes_nothing(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    client = client_for(None)
    link = path(settings, ESAT, LinkAction.INTERESTED, UID)
    bad = client.get(tampered(link))
    assert bad.status_code == 400
    assert "<h1>Lien inutilisable</h1>" in bad.text
    assert "incomplet ou a été modifié" in bad.text and "Rien n'a été modifié." in bad.text
    assert client.get("/lien/pas-un-jeton").status_code == 400
    old = LinkMaker.from_settings(settings, Context.now() - timedelta(days=61))
    expired = client.get(old.path(ESAT, LinkAction.INTERESTED, UID))
    assert expired.status_code == 410
    assert "<h1>Lien expiré</h1>" in expired.text and "Ce lien a expiré le" in expired.text
    older = LinkMaker.from_settings(settings, Context.now() - timedelta(days=366))
    stop = client.post(
        older.path(ESAT, LinkAction.UNSUBSCRIBE), data={"List-Unsubscribe": "One-Click"}
    )
    assert stop.status_code == 410
    gone = client.get(path(settings, "structure-supprimee", LinkAction.INTERESTED, UID))
    assert gone.status_code == 404
    assert "n&#39;est plus suivie par la veille" in gone.text
    assert interests(ctx, ESAT) == []
    assert actor_records.get_actor(ctx.records, ESAT).digest.enabled  # type: ignore[union-attr]


def test_a_closed_notice_is_refused(world: tuple[Context, Settings], client_for: Clients) -> None:
    ctx, settings = world
    closed = Notice(
        uid="boamp:26-999",
        source="boamp",
        native_id="26-999",
        kind=NoticeKind.TENDER,
        title="Marché clos",
        status=NoticeStatus.CLOSED,
    ).with_hash()
    ctx.store.write([closed])
    client = client_for(None)
    page = client.get(path(settings, ESAT, LinkAction.INTERESTED, closed.uid))
    assert page.status_code == 410
    assert "<h1>Avis clos</h1>" in page.text
    partners = path(settings, ESAT, LinkAction.PARTNERS, closed.uid)
    csrf = csrf_of(client.get(partners).text)
    opened = client.post(f"/veille/partenaires/{token_of(partners)}", data={"csrf_token": csrf})
    assert opened.status_code == 410
    assert interests(ctx, ESAT) == []
    assert bid_records.list_grouped_bids(ctx.records) == []


# --------------------------------------------------------------------------- pas pour nous


def test_not_for_us_asks_a_reason_and_stores_it_once(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.NOT_FOR_US, UID)
    client = client_for(None)
    page = client.get(link)
    assert page.status_code == 200
    for label in ("Trop loin", "Pas notre métier", "Trop gros", "Déjà vu", "Autre"):
        assert f">{label}</label>" in page.text
    assert feedback_rows(ctx) == 0  # opening the link stores nothing
    form = f"/veille/raison/{token_of(link)}"
    assert f'action="{form}"' in page.text
    csrf = csrf_of(page.text)
    missing = client.post(form, data={"reason": "other", "detail": "", "csrf_token": csrf})
    assert missing.status_code == 400
    assert "Raison « autre » : dites-la en quelques mots." in missing.text
    assert feedback_rows(ctx) == 0
    done = client.post(
        form, data={"reason": "too_far", "detail": "au-delà de 40 km", "csrf_token": csrf}
    )
    assert done.status_code == 303 and done.headers["location"] == link
    after = client.get(link)
    assert "C'est noté : pas pour vous" in after.text
    assert "cet avis ne vous sera plus proposé" in after.text
    again = client.post(form, data={"reason": "too_big", "csrf_token": csrf})
    assert again.status_code == 303
    assert feedback_rows(ctx) == 1  # twice counts once
    assert match_records.is_rejected(ctx.records, ESAT, UID)
    assert (ESAT, UID) in match_records.rejected_pairs(ctx.records)  # never shown again
    with ctx.records.session() as s:
        row = s.scalars(select(FeedbackRow)).one()
        assert row.reason == "too_far: trop loin — au-delà de 40 km"
        assert row.by == "ESAT Les Jardins de l'Escaut (lien du courriel de veille)"
        assert row.relevant is False and row.target == "match"


def test_the_reason_form_needs_its_csrf_token_and_its_own_link(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.NOT_FOR_US, UID)
    form = f"/veille/raison/{token_of(link)}"
    forged = client_for(None).post(form, data={"reason": "too_far"})
    assert forged.status_code == 403
    client = client_for(None)
    csrf = csrf_of(client.get(link).text)
    interest = path(settings, ESAT, LinkAction.INTERESTED, UID)
    replayed = client.post(
        f"/veille/raison/{token_of(interest)}", data={"reason": "too_far", "csrf_token": csrf}
    )
    assert replayed.status_code == 400
    assert "Ce lien sert à « ça nous intéresse »" in replayed.text
    broken = client.post(tampered(form), data={"reason": "too_far", "csrf_token": csrf})
    assert broken.status_code in (400, 404)
    unknown = client.post(form, data={"reason": "vacances", "csrf_token": csrf})
    assert unknown.status_code == 400 and "Choisissez une des raisons proposées." in unknown.text
    assert feedback_rows(ctx) == 0


# --------------------------------------------------------------------------- partenaires


def test_partners_opens_the_suggested_bid_once(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.PARTNERS, UID)
    client = client_for(None)
    page = client.get(link)
    assert page.status_code == 200
    assert "Aucun groupement n'est encore ouvert" in page.text
    assert (
        "Équipe suggérée par Veilleuse avec vous : EVE (Espaces Verts-Environnement)" in page.text
    )
    assert bid_records.list_grouped_bids(ctx.records) == []  # opening the page creates nothing
    form = f"/veille/partenaires/{token_of(link)}"
    assert client_for(None).post(form).status_code == 403  # CSRF kept
    opened = client.post(form, data={"csrf_token": csrf_of(page.text)})
    assert opened.status_code == 303 and opened.headers["location"] == link
    shown = client.get(link).text
    assert "Le groupement est ouvert" in shown
    (bid,) = bid_records.list_grouped_bids(ctx.records)
    assert f"Vous faites partie du groupement n° {bid.id}" in shown
    assert bid.stage is BidStage.INTEREST and bid.from_suggestion
    assert bid.member_ids() == [ESAT, EVE] and bid.territory_id == "valenciennes"
    assert bid.history[0].by == "ESAT Les Jardins de l'Escaut (lien du courriel de veille)"
    assert interests(ctx, ESAT) == [UID]  # looking for partners says it is interested
    again = client.post(form, data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 303
    assert len(bid_records.list_grouped_bids(ctx.records)) == 1  # twice: one bid
    member = client_for(None).get(path(settings, EVE, LinkAction.PARTNERS, UID)).text
    assert f"Vous faites partie du groupement n° {bid.id}" in member


def test_partners_joins_an_open_bid_of_the_territory(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    client = client_for(None)
    esat = path(settings, ESAT, LinkAction.PARTNERS, UID)
    client.post(
        f"/veille/partenaires/{token_of(esat)}", data={"csrf_token": csrf_of(client.get(esat).text)}
    )
    link = path(settings, ACTIV, LinkAction.PARTNERS, UID)
    page = client.get(link)
    assert "Un groupement se prépare sur cet avis (étape « intérêt »)" in page.text
    assert ">Rejoindre ce groupement</button>" in page.text
    joined = client.post(
        f"/veille/partenaires/{token_of(link)}", data={"csrf_token": csrf_of(page.text)}
    )
    assert joined.status_code == 303
    assert "Vous avez rejoint le groupement" in client.get(link).text
    (bid,) = bid_records.list_grouped_bids(ctx.records, BidFilters(notice_uids=[UID]))
    assert bid.member_ids() == [ESAT, EVE, ACTIV]
    assert bid.stage is BidStage.INTEREST


def test_partners_without_a_suggestion_opens_a_bid_with_the_interested(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    """An actor of another territory is never added; the bid starts at « intérêt »."""
    ctx, settings = world
    interest_records.add_interest(ctx.records, EVE, "aides:aap-300")
    interest_records.add_interest(ctx.records, LILLE, "aides:aap-300")
    link = path(settings, ACTIV, LinkAction.PARTNERS, "aides:aap-300")
    client = client_for(None)
    page = client.get(link)
    assert (
        "Structures qui ont aussi dit leur intérêt : EVE (Espaces Verts-Environnement)" in page.text
    )
    assert "Propreté Solidaire Lilloise" not in page.text
    opened = client.post(
        f"/veille/partenaires/{token_of(link)}", data={"csrf_token": csrf_of(page.text)}
    )
    assert opened.status_code == 303
    (bid,) = bid_records.list_grouped_bids(ctx.records, BidFilters(notice_uids=["aides:aap-300"]))
    assert bid.member_ids() == [ACTIV, EVE] and bid.stage is BidStage.INTEREST
    assert bid.kind.value == "funding" and not bid.from_suggestion


# --------------------------------------------------------------------------- préférences


def prefs_form(csrf: str, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "frequency": "biweekly",
        "kinds": ["tender", "pin"],
        "departments": "59 62",
        "radius_km": "30",
        "cpv": "77310000 90911000",
        "min_amount": "20 000 €",
        "max_items": "8",
        "addresses": "Direction@esat.example\nmarches@esat.example",
        "introductions": "1",
        "csrf_token": csrf,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_introductions_can_be_refused_from_the_preferences(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.PREFERENCES)
    client = client_for(None)
    page = client.get(link).text
    assert 'id="f-introductions" name="introductions" value="1" checked' in page
    form = f"/veille/preferences/{token_of(link)}"
    saved = client.post(form, data=prefs_form(csrf_of(page), introductions=None))
    assert saved.status_code == 303
    assert actor_records.get_actor(ctx.records, ESAT).digest.introductions is False  # type: ignore[union-attr]
    again = client.get(link).text
    assert 'id="f-introductions" name="introductions" value="1" aria' in again


def test_preferences_are_shown_saved_and_checked(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.PREFERENCES)
    client = client_for(None)
    page = client.get(link)
    assert page.status_code == 200
    assert "<h1>Mes préférences</h1>" in page.text
    assert 'data-cpv-search="/veille/cpv/' in page.text and "cpv-search.js" in page.text
    assert '<option value="biweekly">Toutes les deux semaines</option>' in page.text
    assert '<option value="paused">En pause : aucun envoi</option>' in page.text
    form = f"/veille/preferences/{token_of(link)}"
    csrf = csrf_of(page.text)
    before = actor_records.get_actor(ctx.records, ESAT)
    assert client_for(None).post(form, data=prefs_form("")).status_code == 403
    bad = client.post(
        form,
        data=prefs_form(csrf, max_items="500", addresses="pas-une-adresse", departments="999"),
    )
    assert bad.status_code == 400
    assert "Rien n'a été enregistré" in bad.text
    assert "Un nombre entier entre 1 et 50." in bad.text
    assert "Adresse e-mail invalide : pas-une-adresse" in bad.text
    assert "n&#39;est pas un code de département" in bad.text
    assert actor_records.get_actor(ctx.records, ESAT) == before  # nothing stored
    saved = client.post(form, data=prefs_form(csrf))
    assert saved.status_code == 303 and saved.headers["location"] == link
    actor = actor_records.get_actor(ctx.records, ESAT)
    assert actor is not None and before is not None
    d = actor.digest
    assert (d.enabled, d.frequency, d.max_items, d.min_amount) == (True, "biweekly", 8, 20_000)
    assert [k.value for k in d.kinds] == ["tender", "pin"]
    assert d.addresses == ["direction@esat.example", "marches@esat.example"]
    assert actor.territory.departments == ["59", "62"] and actor.territory.radius_km == 30
    assert actor.cpv_codes() == ["77310000", "90911000"]
    assert (actor.name, actor.contacts, actor.description) == (
        before.name,
        before.contacts,
        before.description,
    )
    shown = client.get(link).text
    assert "Vos préférences sont enregistrées." in shown
    assert "<code>77310000</code> Réalisation et entretien d&#39;espaces verts" in shown
    assert 'value="20000"' in shown


def test_paused_from_the_preferences_and_the_cpv_search(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.PREFERENCES)
    client = client_for(None)
    csrf = csrf_of(client.get(link).text)
    form = f"/veille/preferences/{token_of(link)}"
    search = client.post(
        form, data=prefs_form(csrf, action="cpv", cpv_search="espaces verts", frequency="paused")
    )
    assert search.status_code == 200 and "résultat" in search.text
    assert 'name="cpv_add" value="77310000"' in search.text
    assert actor_records.get_actor(ctx.records, ESAT).digest.frequency == "weekly"  # type: ignore[union-attr]
    paused = client.post(form, data=prefs_form(csrf, frequency="paused", kinds=[]))
    assert paused.status_code == 303
    digest = actor_records.get_actor(ctx.records, ESAT).digest  # type: ignore[union-attr]
    assert digest.enabled is False and digest.frequency == "weekly"  # kept for later
    assert "Votre veille est en pause" in client.get(link).text
    found = client.get(f"/veille/cpv/{token_of(link)}", params={"q": "élagage"})
    assert found.status_code == 200
    assert any(item["code"].startswith("77") for item in found.json())
    interest = path(settings, ESAT, LinkAction.INTERESTED, UID)
    assert client.get(f"/veille/cpv/{token_of(interest)}", params={"q": "x"}).status_code == 400


# --------------------------------------------------------------------------- désabonnement


def test_one_click_unsubscribe_pauses_and_keeps_the_account(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    link = path(settings, ESAT, LinkAction.UNSUBSCRIBE)
    interest_records.add_interest(ctx.records, ESAT, UID)
    opened = client_for(None).get(link)  # a mail scanner following the link
    assert opened.status_code == 200 and "Confirmer le désabonnement" in opened.text
    assert actor_records.get_actor(ctx.records, ESAT).digest.enabled  # type: ignore[union-attr]
    mail_client = TestClient(client_for(None).app, follow_redirects=False)  # no cookie, no CSRF
    done = mail_client.post(
        link,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "<h1>Désabonnement confirmé</h1>" in done.text
    actor = actor_records.get_actor(ctx.records, ESAT)
    assert actor is not None and not actor.digest.enabled and actor.digest.unsubscribed_at
    assert interests(ctx, ESAT) == [UID]  # history kept
    again = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "déjà en pause" in again.text
    (resubscribe,) = [
        p
        for p in _LINK.findall(done.text)
        if read_link(link_key(settings), token_of(p)).action is LinkAction.RESUBSCRIBE
    ]
    back = client_for(None).get(resubscribe)
    assert back.status_code == 200 and "Vous recevez à nouveau la veille" in back.text
    actor = actor_records.get_actor(ctx.records, ESAT)
    assert actor is not None and actor.digest.enabled and actor.digest.unsubscribed_at is None


def test_one_click_refuses_other_links_and_bodies(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    client = client_for(None)
    prefs = path(settings, ESAT, LinkAction.PREFERENCES)
    wrong = client.post(prefs, data={"List-Unsubscribe": "One-Click"})
    assert wrong.status_code == 400 and "Ce lien sert à « mes préférences »" in wrong.text
    link = path(settings, ESAT, LinkAction.UNSUBSCRIBE)
    assert client.post(link).status_code == 400
    assert client.post(link, data={"List-Unsubscribe": "Yes"}).status_code == 400
    assert client.post(tampered(link), data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert actor_records.get_actor(ctx.records, ESAT).digest.enabled  # type: ignore[union-attr]


def test_a_link_whose_page_is_elsewhere_is_refused_here(
    world: tuple[Context, Settings], client_for: Clients
) -> None:
    ctx, settings = world
    token = sign_link(
        link_key(settings),
        ESAT,
        LinkAction.INTRODUCTION,
        UID,
        expires=Context.now() + timedelta(days=1),
    )
    page = client_for(None).get(f"/lien/{token}")
    assert page.status_code == 400
    assert "Ce lien sert à « répondre à la mise en relation »" in page.text
    assert interests(ctx, ESAT) == []
