"""`veilleuse territories list | show | import` through typer's runner, on a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.app.actors import ensure_demo_actors
from veilleuse.app.context import Context
from veilleuse.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    monkeypatch.delenv("VEILLEUSE_RECORDS__URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    with Context() as ctx:
        ensure_demo_actors(ctx)
    return tmp_path


def test_import_list_show(tmp_path: Path) -> None:
    path = tmp_path / "territoires.yaml"
    path.write_text(
        "- id: valenciennes\n  name: Valenciennes Métropole\n  epcis: ['245901160']\n"
        "  departments: ['59']\n"
        "- slug: lille-centre\n  name: Lille et Roubaix\n  communes: ['59350', '59512']\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["territories", "import", str(path)])
    assert done.exit_code == 0, done.output
    assert "2 territories created (valenciennes, lille-centre), 0 updated" in done.output
    assert "12 actors assigned by their commune" in done.output  # 9 + Lille ×2, Roubaix
    listed = runner.invoke(app, ["territories", "list"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "valenciennes" in line]
    assert "245901160" in rows[0] and "│ 35 " in rows[0] and "│ 9 " in rows[0]
    shown = runner.invoke(app, ["territories", "show", "lille-centre"])
    assert shown.exit_code == 0, shown.output
    assert "2 communes: Lille (59350), Roubaix (59512)" in shown.output
    assert "actors: 3" in shown.output
    assert "/recherche?buyer_area=59350&buyer_area=59512&sort=-published" in shown.output


def test_bad_file_and_unknown_territory(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"id": "x", "name": "X", "epcis": ["200067846"]}', encoding="utf-8")
    bad = runner.invoke(app, ["territories", "import", str(path)])
    assert bad.exit_code != 0
    assert "codes inconnus du découpage administratif : 200067846" in str(bad.exception)
    missing = runner.invoke(app, ["territories", "show", "nulle-part"])
    assert missing.exit_code != 0 and "territoire inconnu" in str(missing.exception)
