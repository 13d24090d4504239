"""`veilleuse sources check --fetch`: its table, its JSON and its exit status, through typer's
runner, on a catalogue whose sources are served by the replay server (every source kind)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from replay import ReplayServer
from replay_checks import kinds_catalogue
from replay_sources import FAST
from typer.testing import CliRunner

from veilleuse.app import source_checks
from veilleuse.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The replay catalogue in place of the real one, crawled without politeness delays and
    over a window that holds the recorded samples (2017-2026)."""
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    monkeypatch.delenv("VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN", raising=False)
    original = source_checks.collect_live

    def fast(*args: Any, **kwargs: Any) -> Any:
        kwargs["scrapy_overrides"] = {**kwargs.get("scrapy_overrides", {}), **FAST}
        kwargs["since"] = date(2016, 1, 1)
        return original(*args, **kwargs)

    with ReplayServer() as server:
        entries = [e for e in kinds_catalogue(server) if e.name != "essor-500"]
        monkeypatch.setattr(source_checks, "load_catalogue", partial(list, entries))
        monkeypatch.setattr(source_checks, "collect_live", fast)
        yield server


def test_table_of_every_kind_and_exit_1_when_one_is_broken(served: ReplayServer) -> None:
    result = runner.invoke(app, ["sources", "check", "--fetch", "--all"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "verdict" in line)
    for column in ("source", "kind", "HTTP", "items", "fields missing", "selectors", "verdict"):
        assert column in header
    rows = {line.split()[1]: line for line in lines if line.startswith("│")}
    assert "ok" in rows["boamp"] and "200" in rows["boamp"] and " 6 " in rows["boamp"]
    assert "ok" in rows["ted"] and "ok" in rows["decp"] and "ok" in rows["atom"]
    assert "no-match" in rows["essor-change"] and "broken" in rows["essor-change"]
    assert "no-match: deadline" in rows["essor-date"] and "degraded" in rows["essor-date"]
    assert "unconfigured" in rows["at-sans-jeton"]
    assert "broken" in rows["flux-illisible"]
    assert lines[-1] == (
        "11 source(s) checked, 3 not fit to enable: at-sans-jeton, essor-change, flux-illisible"
    )


def test_json_report_of_the_named_sources_exit_0_when_all_are_fit(served: ReplayServer) -> None:
    result = runner.invoke(app, ["sources", "check", "--fetch", "--json", "rss", "essor", "ted"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failing"] == []
    by_name = {line["source"]: line for line in report["sources"]}
    assert list(by_name) == ["rss", "essor", "ted"]
    assert set(by_name["rss"]) == {
        "source",
        "kind",
        "endpoint",
        "http_status",
        "items",
        "missing",
        "selectors",
        "verdict",
        "reasons",
    }
    assert by_name["rss"]["http_status"] == 200 and by_name["rss"]["items"] == 4
    assert by_name["rss"]["missing"] == {"deadline": 1}
    assert by_name["essor"]["selectors"] == "ok" and by_name["essor"]["kind"] == "html"
    assert by_name["ted"]["verdict"] == "ok"


def test_unknown_source_is_a_usage_error(served: ReplayServer) -> None:
    result = runner.invoke(app, ["sources", "check", "--fetch", "inconnue"])
    assert result.exit_code != 0
