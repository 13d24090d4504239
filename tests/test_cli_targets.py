"""`veilleuse targets` through typer's runner, on a temporary data folder with a territory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.app.context import Context
from veilleuse.app.territories import ensure_territory
from veilleuse.cli import app
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.errors import NotFoundError, ValidationError

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    monkeypatch.delenv("VEILLEUSE_RECORDS__URL", raising=False)
    with Context() as ctx:
        ensure_territory(
            ctx, PlanTerritory(id="valenciennes", name="Valenciennes", departments=["59"])
        )
    return tmp_path


def test_set_list_replace_delete() -> None:
    done = runner.invoke(app, ["targets", "set", "valenciennes", "2025", "bids_submitted", "10"])
    assert done.exit_code == 0, done.output
    assert "set: valenciennes, année 2025, bids_submitted = 10" in done.output
    share = runner.invoke(
        app, ["targets", "set", "valenciennes", "2025-S1", "social_consideration_share", "30"]
    )
    assert share.exit_code == 0 and "1er semestre 2025" in share.output
    span = runner.invoke(
        app, ["targets", "set", "valenciennes", "2025-02-01..2025-04-30", "interests", "5"]
    )
    assert span.exit_code == 0 and "du 1er février 2025 au 30 avril 2025" in span.output
    again = runner.invoke(app, ["targets", "set", "valenciennes", "2025", "bids_submitted", "12"])
    assert "replaced" in again.output and "= 12" in again.output
    listed = runner.invoke(app, ["targets", "list", "--territory", "valenciennes"])
    assert listed.exit_code == 0
    assert "bids_submitted" in listed.output and "2025-12-31" in listed.output
    assert "interests" in listed.output and "2025-04-30" in listed.output
    gone = runner.invoke(app, ["targets", "delete", "1"])
    assert gone.exit_code == 0 and "deleted" in gone.output
    assert "bids_submitted" not in runner.invoke(app, ["targets", "list"]).output
    metrics = runner.invoke(app, ["targets", "metrics"])
    assert "win_rate" in metrics.output and "percent" in metrics.output


def test_refusals_name_the_problem() -> None:
    unknown = runner.invoke(app, ["targets", "set", "nulle-part", "2025", "bids_won", "3"])
    assert isinstance(unknown.exception, NotFoundError)
    metric = runner.invoke(app, ["targets", "set", "valenciennes", "2025", "gagner", "3"])
    assert isinstance(metric.exception, ValidationError) and "indicateur inconnu" in str(
        metric.exception
    )
    period = runner.invoke(app, ["targets", "set", "valenciennes", "2025-S3", "bids_won", "3"])
    assert isinstance(period.exception, ValidationError)
    missing = runner.invoke(app, ["targets", "delete", "99"])
    assert isinstance(missing.exception, NotFoundError)
