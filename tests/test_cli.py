"""The command line through typer's runner: each command on the embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    return tmp_path


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["parse", "--help"],
        ["demo", "--help"],
        ["weekly", "--help"],
        ["search", "--help"],
        ["collect", "--help"],
        ["actors", "import", "--help"],
        ["sources", "status", "--help"],
        ["index", "migrate", "--help"],
        ["feedback", "--help"],
        ["tune-weights", "--help"],
        ["eval", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_settings_lists_names_values_and_help() -> None:
    result = runner.invoke(app, ["settings"])
    assert result.exit_code == 0
    assert "VEILLEUSE_STORE__URL" in result.output
    assert "VEILLEUSE_MAIL__SMTP_HOST" in result.output


def test_parse_prints_json_lines_with_detected_format() -> None:
    result = runner.invoke(app, ["parse", str(SAMPLES / "boamp/xml_v230/test-pub-3.xml")])
    assert result.exit_code == 0
    (line,) = [x for x in result.stdout.splitlines() if x.strip()]
    notice = json.loads(line)
    assert notice["uid"] == "boamp:16-186063"
    assert notice["places"]["departments"] == ["77"]
    assert "raw" not in notice


def test_parse_reports_a_broken_file_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "cut.xml"
    broken.write_bytes((SAMPLES / "boamp/xml_v230/test-pub.xml").read_bytes()[:700])
    result = runner.invoke(app, ["parse", str(broken), "--source", "boamp_xml"])
    assert result.exit_code == 1
    assert "cut.xml" in result.output


def test_actors_import_list_show_and_feedback(tmp_path: Path) -> None:
    csv_file = tmp_path / "actors.csv"
    csv_file.write_text(
        "id,name,siret,family,description,cpv,departments,email\n"
        "a1,Régie Nord,12345678901234,ACI,Entretien d'espaces verts,77310000,59,a1@example.org\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["actors", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    again = runner.invoke(app, ["actors", "import", str(csv_file)])
    assert "1 updated" in again.output
    listing = runner.invoke(app, ["actors", "list"])
    assert "Régie Nord" in listing.output
    shown = runner.invoke(app, ["actors", "show", "a1"])
    assert "77310000" in shown.output
    missing = runner.invoke(app, ["actors", "show", "nope"])
    assert missing.exit_code == 1
    fb = runner.invoke(
        app, ["feedback", "a1", "boamp:1", "--not-relevant", "--reason", "hors métier"]
    )
    assert fb.exit_code == 0 and "not relevant" in fb.output


def test_text_search_on_the_embedded_store() -> None:
    from veilleuse.config.settings import get_settings
    from veilleuse.search.factory import open_store
    from veilleuse.spiders.parsers import parse_path

    store = open_store(get_settings())
    store.write(parse_path(SAMPLES / "boamp/xml_v230/test-pub.xml").notices)
    store.close()
    result = runner.invoke(app, ["search", "remorquage", "--mode", "text", "--json", "--dep", "75"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    assert [r["uid"] for r in rows] == ["boamp:16-186394"]
    assert rows[0]["score"] > 0
    none = runner.invoke(app, ["search", "remorquage", "--mode", "text", "--json", "--dep", "59"])
    assert none.stdout.strip() == ""


def test_sources_list_and_check() -> None:
    listing = runner.invoke(app, ["sources", "list", "--all"])
    assert listing.exit_code == 0
    assert "boamp" in listing.output and "aides-territoires" in listing.output
    check = runner.invoke(app, ["sources", "check"])
    assert check.exit_code == 0, check.output
