"""`veilleuse match [--full]` on the embedded store, and `veilleuse weekly --full` handing the
flag to the flow's match stage. The embedder is the bag-of-words `HashEmbedder` seam; actors
and notices are constructed (invented for the test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder
from typer.testing import CliRunner

import veilleuse.app.context
import veilleuse.flows.runtime
import veilleuse.flows.weekly
from veilleuse.app.match import LOCK
from veilleuse.app.run_lock import run_lock
from veilleuse.cli import app
from veilleuse.core.models import Actor, CpvInterest, EssFamily, Notice, NoticeKind, Places
from veilleuse.core.models import Territory as Place
from veilleuse.records import actors as actor_records
from veilleuse.records import match_state

runner = CliRunner()


class HashContext(veilleuse.app.context.Context):
    """The configured context with the `HashEmbedder` seam (no model to load)."""

    def __init__(self, settings: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("embedder", HashEmbedder())
        super().__init__(settings, **kwargs)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    monkeypatch.setattr(veilleuse.app.context, "Context", HashContext)
    return tmp_path


def seed() -> None:
    gardens = Actor(
        id="jardins", name="Jardins", family=EssFamily.SIAE_ACI,
        description="Entretien des espaces verts, tonte et taille de haies",
        cpv_interests=[CpvInterest(code="77310000")], territory=Place(departments=["59"]),
    )  # fmt: skip
    deadline = datetime.now(UTC) + timedelta(days=30)
    tender = Notice(
        uid="boamp:1", source="boamp", native_id="1", kind=NoticeKind.TENDER,
        title="Entretien des espaces verts de la commune, tonte", cpv=["77310000"],
        places=Places(departments=["59"]), deadline=deadline,
    ).with_hash()  # fmt: skip
    with veilleuse.app.context.Context() as ctx:
        actor_records.upsert_actors(ctx.records, [gardens])
        ctx.store.write([tender])


def modes() -> list[object]:
    with veilleuse.app.context.Context() as ctx:
        return [run["mode"] for run in match_state.last_runs(ctx.records)]


def test_match_is_incremental_unless_full_is_asked() -> None:
    seed()
    first = runner.invoke(app, ["match"])
    assert first.exit_code == 0, first.output
    assert "full run" in first.output and "1 matches scored for 1 actors" in first.output
    again = runner.invoke(app, ["match"])
    assert "incremental run" in again.output and "0 matches scored" in again.output
    forced = runner.invoke(app, ["match", "--full"])
    assert forced.exit_code == 0, forced.output
    assert "full run" in forced.output and "1 matches scored" in forced.output
    assert modes() == ["full", "incremental", "full"]
    assert "--full" in runner.invoke(app, ["match", "--help"]).output


def test_match_while_another_run_holds_the_lock_scores_nothing() -> None:
    seed()
    with veilleuse.app.context.Context() as ctx, run_lock(ctx, LOCK):
        result = runner.invoke(app, ["match"])
    assert result.exit_code == 3
    assert "another match run is in progress" in result.output
    assert modes() == []


@pytest.mark.parametrize(("args", "full"), [([], False), (["--full"], True)])
def test_weekly_hands_full_to_the_match_stage(
    args: list[str], full: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from veilleuse.cli import watch

    seen: dict[str, Any] = {}
    monkeypatch.setattr(veilleuse.flows.runtime, "prepare_prefect", lambda _: None)
    monkeypatch.setattr(watch, "print_weekly", lambda *_: None)
    monkeypatch.setattr(watch, "print_status", lambda _: None)

    class Done:
        def __init__(self) -> None:
            self.timings: dict[str, float] = {}

        def status(self) -> str:
            return "COMPLETE"

    monkeypatch.setattr(
        veilleuse.flows.weekly, "weekly_watch", lambda **p: seen.update(p) or Done()
    )
    result = runner.invoke(app, ["weekly", "--source-dir", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    assert seen["full_match"] is full


def test_the_weekly_flow_passes_full_match_to_match_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flow's match task forwards the flag (called as a plain function)."""
    import veilleuse.app.match
    from veilleuse.config.settings import Settings

    seen: list[bool] = []
    monkeypatch.setattr(
        veilleuse.app.match, "match_stage", lambda ctx, now, full=False: seen.append(full)
    )
    veilleuse.flows.weekly.match_task.fn(Settings(), datetime.now(UTC), True)
    veilleuse.flows.weekly.match_task.fn(Settings(), datetime.now(UTC))
    assert seen == [True, False]
