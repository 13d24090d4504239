"""`veilleuse bids propose-outcomes` over a data folder: a real BOAMP award (test-attribution-10)
and a CONSTRUCTED tender of the IDWEB it names; the actors and the bid are invented."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_support import SAMPLES
from veilleuse.app.context import Context
from veilleuse.cli import app
from veilleuse.config.settings import get_settings
from veilleuse.core.bids import BidMember, BidStage, GroupedBid, MemberRole
from veilleuse.core.models import Actor, Notice, NoticeKind
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.spiders.parsers import parse_path

runner = CliRunner()


def test_propose_outcomes_goes_over_every_stored_award(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    award = parse_path(SAMPLES / "boamp/xml_v230/test-attribution-10.xml").notices[0]
    tender = Notice(
        uid="boamp:15-14160",
        source="boamp",
        native_id="15-14160",
        kind=NoticeKind.TENDER,
        title="Aire de glisse",
        identifiers=["15-14160"],
        deadline=date.today() + timedelta(days=10),
    )
    with Context(get_settings()) as ctx:
        ctx.store.write([award, tender.with_hash()])
        actor_records.upsert_actors(
            ctx.records,
            [
                Actor.model_validate({"id": i, "name": n, "family": "scop"})
                for i, n in (("sdv", "Sport des villes"), ("autre", "Autre"))
            ],
        )
        bid = bid_records.create_grouped_bid(
            ctx.records,
            GroupedBid(
                notice_uid=tender.uid,
                stage=BidStage.SUBMITTED,
                members=[
                    BidMember(actor_id="sdv", role=MemberRole.LEAD),
                    BidMember(actor_id="autre"),
                ],
            ),
        )
    result = runner.invoke(app, ["bids", "propose-outcomes"])
    assert result.exit_code == 0, result.output
    assert "1 award notices over 1 open tender bids: 1 new proposals" in result.output
    with Context(get_settings()) as ctx:
        stored = bid_records.get_grouped_bid(ctx.records, bid.id or 0)
    assert stored is not None and stored.proposal is not None
    assert stored.proposal.outcome is BidStage.WON
    again = runner.invoke(app, ["bids", "propose-outcomes"])
    assert "0 new proposals" in again.output
