"""The weekly run's status (COMPLETE / DEGRADED / FAILED), its reasons, and the exit status of
`veilleuse weekly` and `veilleuse parse` (constructed stage reports; no flow is run)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from veilleuse.app.collect import StagedSource
from veilleuse.app.digest import DigestReport
from veilleuse.app.embed import EmbedReport
from veilleuse.app.match import MatchRunReport
from veilleuse.app.weekly import EXIT_CODES, RunStatus, WeeklyReport
from veilleuse.cli import app
from veilleuse.records.sources import SourceRun
from veilleuse.spiders.parsers.base import Problem

NOW = datetime(2026, 11, 30, tzinfo=UTC)
runner = CliRunner()


def staged(
    source: str, accepted: int, problems: list[Problem] | None = None, **kw: Any
) -> StagedSource:
    problems = problems or []
    return StagedSource(source, "x.jsonl", accepted, len(problems), problems, 0.1, "t", **kw)


def report(
    sources: list[StagedSource], statuses: dict[str, str] | None = None, **digests: Any
) -> WeeklyReport:
    runs = [SourceRun(s.source, (statuses or {}).get(s.source, "COMPLETE"), NOW) for s in sources]
    return WeeklyReport(
        sources,
        runs,
        EmbedReport(0, 0.0, 0, 0),
        MatchRunReport(0, 0, 0, 0, 0.0),
        DigestReport(**digests),
    )


def test_rejected_records_alone_leave_the_run_complete() -> None:
    rejected = [Problem("boamp.json", "notice without IDWEB", "#6")]
    run = report([staged("boamp", 20, rejected)], {"boamp": "DEGRADED"}, sent=["d1"])
    assert run.status() == RunStatus.COMPLETE and run.reasons() == []


def test_an_unreadable_file_or_a_failed_source_degrades_the_run() -> None:
    bad = Problem("feeds/zz.json", "invalid JSON: Expecting value at line 1 column 2")
    run = report(
        [staged("idf-aides", 2, [bad], failed_files=["feeds/zz.json"]), staged("ted", 0)],
        {"ted": "FAILED"},
        sent=["d1"],
    )
    assert run.status() == RunStatus.DEGRADED
    assert run.reasons() == [
        "source idf-aides: file feeds/zz.json unreadable "
        "(invalid JSON: Expecting value at line 1 column 2)",
        "source ted: nothing stored this run",
    ]


def test_notices_the_store_refused_degrade_the_run() -> None:
    run = report([staged("ted", 3)], sent=["d1"])
    run.runs[0].rejected = 2  # the index stage counts the notices it could not write
    assert run.status() == RunStatus.DEGRADED
    assert run.reasons() == ["source ted: 2 notices could not be stored"]


def test_a_live_source_that_stopped_short_degrades_the_run() -> None:
    cut = Problem("https://x.test/p2", "HTTP 503 après les nouvelles tentatives")
    run = report([staged("boamp", 5, [cut], live={"failed": True, "complete": False})], sent=["d"])
    assert run.status() == RunStatus.DEGRADED
    assert run.reasons() == ["source boamp: HTTP 503 après les nouvelles tentatives"]


def test_a_failed_digest_degrades_and_every_digest_failed_fails() -> None:
    some = report([staged("ted", 3)], sent=["d1"], failed=[("d2", "550 boîte inconnue")])
    assert some.status() == RunStatus.DEGRADED
    assert some.reasons() == ["digest d2: 550 boîte inconnue"]
    every = report([staged("ted", 3)], failed=[("d1", "connexion refusée"), ("d2", "idem")])
    assert every.status() == RunStatus.FAILED
    assert every.reasons()[0] == "digest: every digest failed (2)"


def test_no_notice_from_any_source_fails_the_run() -> None:
    run = report([staged("ted", 0, [Problem("t.xml", "invalid XML")], failed_files=["t.xml"])])
    assert run.status() == RunStatus.FAILED
    assert run.reasons()[0] == "collect: no source gave a single notice"
    assert EXIT_CODES == {RunStatus.COMPLETE: 0, RunStatus.DEGRADED: 3, RunStatus.FAILED: 1}


@pytest.mark.parametrize(
    ("run", "code", "shown"),
    [
        (report([staged("ted", 3)], sent=["d1"]), 0, "COMPLETE"),
        (report([staged("ted", 3)], sent=["d1"], failed=[("d2", "refusé")]), 3, "DEGRADED"),
        (report([staged("ted", 3)], failed=[("d1", "SMTP injoignable")]), 1, "FAILED"),
    ],
)
def test_weekly_exit_status(
    run: WeeklyReport, code: int, shown: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Was: exit 0 whatever failed, unless every digest failed."""
    import veilleuse.flows.runtime
    import veilleuse.flows.weekly

    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(veilleuse.flows.runtime, "prepare_prefect", lambda _: None)
    monkeypatch.setattr(veilleuse.flows.weekly, "weekly_watch", lambda **_: run)
    run.timings.update(dict.fromkeys(["collect", "index", "embed", "match", "digest"], 0.0))
    result = runner.invoke(app, ["weekly", "--source-dir", str(tmp_path)])
    assert result.exit_code == code, result.output
    assert f"run status: {shown}" in result.output


def test_parse_names_the_file_and_never_prints_a_traceback(tmp_path: Path) -> None:
    """Was: `ValueError: Exceeds the limit (4300 digits)` in a traceback that named no file."""
    path = tmp_path / "aides.json"
    path.write_bytes(b'[{"id": ' + b"9" * 5000 + b', "name": "x"}]')
    result = runner.invoke(app, ["parse", str(path), "--source", "idf_aides"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert f"{path}: 1 number out of range read as empty: 5000-digit integer" in result.output


def test_demo_exits_3_on_a_degraded_run_after_making_its_accounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import veilleuse.app.demo_accounts
    import veilleuse.app.demo_bids
    import veilleuse.flows.runtime
    import veilleuse.flows.weekly

    run = report([staged("ted", 3)], sent=["d1"], failed=[("d2", "refusé")])
    run.timings.update(dict.fromkeys(["collect", "index", "embed", "match", "digest"], 0.0))
    seeded = SimpleNamespace(
        users_created=[],
        actors_assigned=0,
        actors_per_territory={},
        searches_created=0,
        accounts=[],
        officer_email="veille@x.test",
        login_url="http://x.test/connexion",
        password="p",
    )
    bids = SimpleNamespace(created=[], kept=[], skipped={})
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(veilleuse.flows.runtime, "prepare_prefect", lambda _: None)
    monkeypatch.setattr(veilleuse.flows.weekly, "weekly_watch", lambda **_: run)
    monkeypatch.setattr(veilleuse.app.demo_accounts, "seed_demo", lambda _: seeded)
    monkeypatch.setattr(veilleuse.app.demo_bids, "seed_demo_bids", lambda _: bids)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 3, result.output
    assert "run status: DEGRADED" in result.output and "Web app: make web" in result.output
