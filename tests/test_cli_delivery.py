"""`veilleuse weekly` exits non-zero when every digest of the run failed (a scheduler must see
it), and zero when at least one went out. The flow itself is replaced by a stand-in returning
a constructed report: this tests the command's verdict, not the weekly run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.app.digest import DigestReport
from veilleuse.app.embed import EmbedReport
from veilleuse.app.match import MatchRunReport
from veilleuse.app.weekly import WeeklyReport
from veilleuse.cli import app

runner = CliRunner()


def weekly(digests: DigestReport) -> WeeklyReport:
    return WeeklyReport(
        staged=[],
        runs=[],
        embedded=EmbedReport(0, 0.0, 0, 0),
        matched=MatchRunReport(0, 0, 0, 0, 0.0),
        digests=digests,
        timings={s: 0.0 for s in ("collect", "index", "embed", "match", "digest")},
    )


@pytest.mark.parametrize(
    ("digests", "code"),
    [
        (DigestReport(failed=[("a:2026-12-01", "SMTP 127.0.0.1:25: 550 refused")]), 1),
        # some digests failed, others went: the run is DEGRADED (exit 3, docs/reliability.md)
        (DigestReport(sent=["b:2026-12-01"], failed=[("a:2026-12-01", "550")]), 3),
        (DigestReport(resent=["a:2026-11-24"], failed=[("c:2026-12-01", "421")]), 3),
        (DigestReport(), 0),
    ],
)
def test_weekly_fails_when_every_digest_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, digests: DigestReport, code: int
) -> None:
    import veilleuse.flows.runtime as runtime
    import veilleuse.flows.weekly as flows_weekly

    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(runtime, "prepare_prefect", lambda data_dir: None)  # no Prefect env
    monkeypatch.setattr(flows_weekly, "weekly_watch", lambda **_: weekly(digests))
    result = runner.invoke(app, ["weekly", "--source-dir", str(tmp_path)])
    assert result.exit_code == code, result.output
