"""The digest's links end to end: a digest goes through a real SMTP server on loopback
(aiosmtpd), its links are read back from the received message and followed in headless chromium
against a real `veilleuse web` server, as an actor on a phone would: « ça nous intéresse »,
« pas pour nous » with a reason, « mes préférences »; then the mail client's one-click
unsubscribe (RFC 8058), an HTTP POST to the List-Unsubscribe URL; a tampered link gets the
French refusal page.

Data: a copy of the demo's data folder (`demo_env`), where an actor made for this test — the
profile and matches of a demo actor under another id, with two addresses — has its first digest
sent by the application's own digest stage; this module's server runs on that copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from smtp_server import free_port, smtp_server
from veilleuse.app.context import Context
from veilleuse.app.digest import digest_stage
from veilleuse.app.digest_links import link_key
from veilleuse.config.settings import Settings
from veilleuse.core.signed_links import read_link
from veilleuse.records import actors as actor_records
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.records.tables import FeedbackRow

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
Shot = Callable[[Any, str], Path]
PHONE = {"width": 390, "height": 844}
#: the demo actor with the most matches; its copy gets the digest
SOURCE = "initiatives-solidaires"
ACTOR = "essai-liens-digest"
ADDRESSES = ["direction@essai-liens.example", "marches@essai-liens.example"]
LINE = re.compile(r"^\s*(Ça nous intéresse|Pas pour nous|Chercher des partenaires) : (\S+)$")


@dataclass
class World:
    settings: Settings
    url: str
    message: EmailMessage
    rcpt_tos: list[str]
    #: per digest line, in order: {"Ça nous intéresse": url, …}
    lines: list[dict[str, str]]
    preferences: str
    unsubscribe: str


def settings_for(data_dir: Path, url: str, port: int = 25) -> Settings:
    return Settings(
        data_dir=data_dir,
        store={"backend": "embedded", "url": None},
        records={"url": None},
        web={"base_url": url},
        mail={"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 5},
    )


def add_actor(ctx: Context) -> None:
    """The demo actor's profile and matches under `ACTOR`, with two addresses, nothing sent."""
    source = actor_records.get_actor(ctx.records, SOURCE)
    assert source is not None
    digest = source.digest.model_copy(update={"addresses": ADDRESSES, "enabled": True})
    copy = source.model_copy(
        update={"id": ACTOR, "name": "Essai des liens", "siret": None, "digest": digest}
    )
    actor_records.upsert_actors(ctx.records, [copy])
    matches = [m for m in match_records.load_matches(ctx.records) if m.actor_id == SOURCE]
    assert len(matches) >= 3
    copies = [m.model_copy(update={"actor_id": ACTOR}) for m in matches]
    match_records.save_matches(ctx.records, copies)
    territory_records.set_actor_territory(ctx.records, ACTOR, "valenciennes")


def links_of(text: str) -> tuple[list[dict[str, str]], str, str]:
    text = text.replace("\r\n", "\n")
    lines: list[dict[str, str]] = []
    for row in text.splitlines():
        found = LINE.match(row)
        if found is None:
            continue
        if found.group(1) == "Ça nous intéresse":
            lines.append({})
        lines[-1][found.group(1)] = found.group(2)
    preferences = re.search(r"^Mes préférences : (\S+)$", text, re.M)
    unsubscribe = re.search(r"^Me désabonner : (\S+)$", text, re.M)
    assert preferences and unsubscribe, text[-600:]
    return lines, preferences.group(1), unsubscribe.group(1)


def serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VEILLEUSE_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("VEILLEUSE_STORE__URL", None)
    env.pop("VEILLEUSE_RECORDS__URL", None)
    with log.open("w") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "veilleuse.cli",
                "web",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"veilleuse web exited with {server.returncode}: see {log}")
        try:
            if httpx.get(f"{url}/sante", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"veilleuse web did not answer on {url}: see {log}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def world(demo_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("digest-links") / "data"
    shutil.copytree(demo_env["VEILLEUSE_DATA_DIR"], data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with smtp_server() as (controller, inbox):
        with Context(settings_for(data_dir, url, controller.port)) as ctx:
            add_actor(ctx)
            report = digest_stage(ctx, degraded_sources=[])
        assert report.failed == []
        assert [d.split(":")[0] for d in report.sent] == [ACTOR], report
        (envelope,) = inbox.envelopes
        (message,) = inbox.messages()
    text = next(message.iter_parts())
    assert isinstance(text, EmailMessage)
    lines, preferences, unsubscribe = links_of(text.get_content())
    log = tmp_path_factory.mktemp("digest-links-server") / "web.log"
    server = serve(data_dir, port, log)
    try:
        wait_until_up(server, url, log)
        yield World(
            settings_for(data_dir, url),
            url,
            message,
            list(envelope.rcpt_tos),
            lines,
            preferences,
            unsubscribe,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def phone(browser: Any, world: World) -> Iterator[Any]:
    context = browser.new_context(base_url=world.url, locale="fr-FR", viewport=PHONE)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def records_of(world: World) -> Context:
    return Context(world.settings)


def fits_the_screen(tab: Any) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_the_digest_received_carries_every_link(world: World) -> None:
    assert sorted(world.rcpt_tos) == ADDRESSES  # the extra address receives it too
    assert len(world.lines) >= 3
    for line in world.lines:
        assert set(line) == {"Ça nous intéresse", "Pas pour nous", "Chercher des partenaires"}
        assert all(u.startswith(f"{world.url}/lien/") for u in line.values())
    header = str(world.message["List-Unsubscribe"])
    assert header == f"<{world.unsubscribe}>"  # no reply-to set: no mailto
    html = world.message.get_body(("html",))
    assert html is not None
    body = html.get_content()
    for url in (world.preferences, world.unsubscribe, world.lines[0]["Ça nous intéresse"]):
        assert f'href="{url}"' in body


def test_interest_reason_and_preferences_in_chromium(world: World, phone: Any, shot: Shot) -> None:
    first, second = world.lines[0], world.lines[1]
    phone.goto(first["Ça nous intéresse"])
    assert phone.locator("h1").inner_text() == "C'est noté : cet avis vous intéresse"
    assert fits_the_screen(phone)
    shot(phone, "lien-interet-telephone")
    phone.reload()
    assert phone.locator("h1").inner_text() == "Vous aviez déjà dit que cet avis vous intéresse"

    phone.goto(second["Pas pour nous"])
    phone.check("#reason-too_far")
    phone.fill("#detail", "Nos équipes ne vont pas si loin")
    shot(phone, "lien-pas-pour-nous-telephone")
    phone.click("button[type=submit]")
    phone.wait_for_selector("text=C'est noté : pas pour vous")

    phone.goto(world.preferences)
    assert fits_the_screen(phone)
    phone.select_option("#f-frequency", "biweekly")
    phone.fill("#f-min_amount", "15 000")
    phone.uncheck("#f-kind-pin")
    shot(phone, "lien-preferences-telephone")  # before the suggestions list opens
    phone.fill("#f-cpv-search", "élagage")  # the editor's script suggests codes as one types
    phone.wait_for_selector("#cpv-options option[value='77340000']", state="attached")
    phone.fill("#f-cpv-search", "77340000")  # what choosing the suggestion types
    assert "77340000" in phone.input_value("#f-cpv")
    phone.keyboard.press("Escape")  # closes the suggestions, as a tap elsewhere would
    phone.click("button[name=action][value=save]")
    phone.wait_for_selector("text=Vos préférences sont enregistrées.")

    with records_of(world) as ctx:
        uids = [i.notice_uid for i in interest_records.interests_of_actors(ctx.records, {ACTOR})]
        assert len(uids) == 1
        rejected = match_records.rejected_pairs(ctx.records)
        assert {p for p in rejected if p[0] == ACTOR} == {(ACTOR, uids_of(second, world)[0])}
        with ctx.records.session() as s:
            row = s.query(FeedbackRow).filter(FeedbackRow.actor_id == ACTOR).one()
            assert row.reason == "too_far: trop loin — Nos équipes ne vont pas si loin"
        actor = actor_records.get_actor(ctx.records, ACTOR)
        assert actor is not None
        assert (actor.digest.frequency, actor.digest.min_amount) == ("biweekly", 15_000)
        assert [k.value for k in actor.digest.kinds] == ["tender", "funding_call"]
        assert "77340000" in actor.cpv_codes()
        assert actor.digest.addresses == ADDRESSES


def uids_of(line: dict[str, str], world: World) -> list[str]:
    """The notice of a digest line, read from its signed link."""
    link = read_link(link_key(world.settings), line["Pas pour nous"].rsplit("/", 1)[1])
    assert link.notice_uid is not None
    return [link.notice_uid]


def test_a_tampered_link_is_refused_in_french(world: World, phone: Any, shot: Shot) -> None:
    url = world.lines[2]["Ça nous intéresse"]
    token = url.rsplit("/", 1)[1]
    changed = token[:12] + ("A" if token[12] != "A" else "B") + token[13:]
    response = phone.goto(f"{world.url}/lien/{changed}")
    assert response.status == 400
    assert phone.locator("h1").inner_text() == "Lien inutilisable"
    assert "Ce lien est incomplet ou a été modifié" in phone.locator("main").inner_text()
    shot(phone, "lien-refuse-telephone")
    with records_of(world) as ctx:
        uids = [i.notice_uid for i in interest_records.interests_of_actors(ctx.records, {ACTOR})]
        assert uids_of(world.lines[2], world)[0] not in uids


def test_one_click_unsubscribe_by_post(world: World, phone: Any, shot: Shot) -> None:
    response = httpx.post(
        world.unsubscribe, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False
    )
    assert response.status_code == 200  # no session, no CSRF token: the mail client's POST
    assert "Désabonnement confirmé" in response.text
    with records_of(world) as ctx:
        actor = actor_records.get_actor(ctx.records, ACTOR)
        assert actor is not None and not actor.digest.enabled
        assert actor.digest.unsubscribed_at is not None
        assert interest_records.interests_of_actors(ctx.records, {ACTOR})  # history kept
    phone.goto(world.unsubscribe)
    assert phone.locator("h1").inner_text() == "Désabonnement confirmé"
    phone.click("text=Me réabonner")
    phone.wait_for_selector("h1:has-text('Veille rétablie')")
    shot(phone, "lien-reabonnement-telephone")
    with records_of(world) as ctx:
        actor = actor_records.get_actor(ctx.records, ACTOR)
        assert actor is not None and actor.digest.enabled
