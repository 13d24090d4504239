"""The demonstration's grouped bids (app.demo_bids): created once over the demo's actors and
notices (real samples and the constructed demo notices), at the stages the board and the
statistics need, each labelled « constitué pour la démonstration »; a re-run creates nothing.

The matches and the suggestion are CONSTRUCTED here (the demo computes them with the embedding
model, which these unit tests do not load), shaped like the demo's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from test_support import SAMPLES
from veilleuse.app.actors import ensure_demo_actors
from veilleuse.app.bid_board import board
from veilleuse.app.context import Context
from veilleuse.app.demo_bids import DEMO_MARK, seed_demo_bids
from veilleuse.app.territories import seed_demo_territories
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import Role
from veilleuse.core.bids import BidKind, BidStage, LossReason
from veilleuse.core.models import (
    GroupedBidSuggestion,
    LotAssignment,
    Match,
    Money,
    Notice,
    NoticeKind,
)
from veilleuse.records import accounts as account_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import matches as match_records
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.spiders.parsers import parse_path

S = BidStage


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        ensure_demo_actors(context)
        seed_demo_territories(context)
        notices = [
            n
            for name in (
                "boamp/xml_v230/test-pub.xml",
                "boamp/xml_v230/test-pub-5.xml",
                "constructed_demo/boamp_demo_records_constructed.json",
            )
            for n in parse_path(SAMPLES / name).notices
        ]
        call = Notice(
            uid="rss:demo-call",
            source="rss",
            native_id="demo-call",
            kind=NoticeKind.FUNDING_CALL,
            title="Appel à projets constitué pour ce test",
            deadline=date.today() + timedelta(days=40),
        )
        store.write([*notices, call.with_hash()])
        matches = [
            ("boamp:16-186394", "remorquage-solidaire-paris"),
            ("boamp:16-186394", "alpha-transports-services"),
            ("boamp:16-186359", "scic-cap-evenements"),
            ("boamp:16-186359", "festiv-nord"),
            ("boamp:16-186359", "initiatives-solidaires"),
            ("boamp:99-100004", "artois-insertion-ressourcerie"),
            ("boamp:99-100004", "recup-tri"),
            ("rss:demo-call", "initiatives-solidaires"),  # outside every territory: left out
            ("rss:demo-call", "esat-jardins-escaut"),
            ("rss:demo-call", "mutuelle-sud-services"),
        ]
        match_records.save_matches(
            context.records,
            [Match(actor_id=a, notice_uid=u, score=60.0 - i) for i, (u, a) in enumerate(matches)],
        )
        # the MEL's team beats a better-scored one spanning two territories and an outsider
        mel = ["ea-proprete-solidaire-lille", "scop-batir-ensemble", "festiv-nord"]
        mixed = ["esat-jardins-escaut", "ea-proprete-solidaire-lille", "activ-cites"]
        match_records.save_suggestions(
            context.records,
            [
                GroupedBidSuggestion(
                    notice_uid=uid,
                    members=team,
                    lead=team[0],
                    assignments=[
                        LotAssignment(lot_id=str(i), actor_id=a, fit=0.7, why="")
                        for i, a in enumerate(team, 1)
                    ],
                    coverage=1.0,
                    score=score,
                )
                for uid, team, score in (
                    ("boamp:99-100001", mel, 70.0),
                    ("boamp:99-100002", mixed, 90.0),
                )
            ],
        )
        yield context


def test_the_demo_register_has_a_bid_at_each_stage_it_shows(ctx: Context) -> None:
    report = seed_demo_bids(ctx)
    assert report.created == ["suggestion", "won", "lost", "submitted", "funding"]
    assert report.skipped == {}
    bids = {b.notice_uid: b for b in bid_records.list_grouped_bids(ctx.records)}
    assert all(DEMO_MARK in (b.notes or "") for b in bids.values())

    suggested = bids["boamp:99-100001"]
    assert (suggested.stage, suggested.from_suggestion, suggested.territory_id) == (
        S.TEAM_FORMED,
        True,
        "mel",
    )
    assert "boamp:99-100002" not in bids
    assert [m.lots for m in suggested.members] == [["1"], ["2"], ["3"]]
    won = bids["boamp:16-186394"]
    assert (won.stage, won.amount_won) == (S.WON, Money(amount=148_000))
    assert [(m.actor_id, m.share_percent) for m in won.members] == [
        ("remorquage-solidaire-paris", 65),
        ("mobilite-solidaire-alpes", 35),  # Anzin and Onnaing: Valenciennes Métropole
    ]
    assert won.territory_id == "valenciennes"
    assert [e.to_stage for e in won.history] == [
        S.SPOTTED,
        S.INTEREST,
        S.TEAM_FORMED,
        S.SUBMITTED,
        S.WON,
    ]
    assert won.history[0].at < won.history[-1].at
    lost = bids["boamp:16-186359"]
    assert (lost.stage, lost.loss_reason) == (S.LOST, LossReason.PRICE)
    # Tourcoing and Lille: the MEL's (initiatives-solidaires is in none of the territories)
    assert (lost.member_ids(), lost.territory_id) == (["scic-cap-evenements", "festiv-nord"], "mel")
    submitted = bids["boamp:99-100004"]  # its matched actors are outside: the fallback team
    assert submitted.stage is S.SUBMITTED and submitted.member_ids() == [
        "recyclerie-numerique-ligerienne",
        "esat-jardins-escaut",
    ]
    funding = bids["rss:demo-call"]
    assert (funding.kind, funding.stage) == (BidKind.FUNDING, S.INTEREST)
    assert funding.member_ids() == ["esat-jardins-escaut", "mutuelle-sud-services"]

    officer = account_records.create_user(
        ctx.records,
        email="veille@valenciennes.test",
        name="veille",
        role=Role.OFFICER,
        password_hash="x",
        territory_id="valenciennes",
    )
    shown = board(ctx, officer)
    assert sum(len(c.lines) for c in shown.columns) == 3  # won, submitted, funding

    again = seed_demo_bids(ctx)
    assert again.created == [] and len(again.kept) == 5
    assert len(bid_records.list_grouped_bids(ctx.records)) == 5
