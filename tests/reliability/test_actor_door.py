"""Validation at the door: what an actor file may not bring in, named by file, row and field.

Both doors read files with `core.actors_io.read_actor_rows` (the web import preview shows its
row errors; `veilleuse actors import` refuses the file with all of them), so the hostile rows
are checked there once, then through the command: a refused file writes nothing, and a SIRET
of another actor is refused unless `--on-siret-conflict` says merge or replace.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veilleuse.cli import app
from veilleuse.core.actor_checks import email_ok
from veilleuse.core.actors_io import read_actor_rows
from veilleuse.core.errors import ValidationError

runner = CliRunner()
HEADER = ["id", "name", "siret", "family", "description", "departments", "email", "commune"]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _row(
    actor_id: str, name: str = "Régie", email: str = "contact@regie.fr", **kw: str
) -> list[str]:
    values = {"siret": "", "description": "Espaces verts", "commune": "", **kw}
    return [
        actor_id,
        name,
        values["siret"],
        "ACI",
        values["description"],
        "59",
        email,
        values["commune"],
    ]


HOSTILE = [
    (_row("crlf-name", name="Régie\r\nBcc: victime@exemple.fr"), "name", "U+000D"),
    (_row("lf-in-id\nX"), "id", "U+000A"),
    (_row("nul", name="Régie\x00"), "name", "U+0000"),
    (_row("c0", commune="Lille\x1b[31m"), "commune", "U+001B"),
    (_row("c1", name="Régie\x85Nord"), "name", "U+0085"),
    (_row("del", email="a\x7f@b.fr"), "email", "U+007F"),
    (_row("desc-nul", description="ligne\x00"), "description", "U+0000"),
    (_row("a b"), "id", "identifiant admis"),
    (_row("régie"), "id", "identifiant admis"),
    (_row("-lead"), "id", "identifiant admis"),
    (_row("x" * 81), "id", "identifiant admis"),
    (_row("bad-mail-1", email="a@b"), "email", "adresse e-mail"),
    (_row("bad-mail-2", email="Jean <a@b.fr>"), "email", "adresse e-mail"),
    (_row("bad-mail-3", email="a@b.fr,c@d.fr"), "email", "adresse e-mail"),
    (_row("bad-mail-4", email="a..b@c.fr"), "email", "adresse e-mail"),
    (_row("bad-mail-5", email="a@-b.fr"), "email", "adresse e-mail"),
]


def test_every_hostile_row_is_refused_with_its_row_and_field() -> None:
    good = _row("regie-nord", description="Ligne 1\r\nLigne 2\tavec tabulation")
    rows = read_actor_rows("acteurs.csv", _csv([good, *(row for row, _, _ in HOSTILE)]))
    assert rows[0].actor is not None and rows[0].problems == []
    assert rows[0].actor.description == "Ligne 1\nLigne 2\tavec tabulation"
    for parsed, (_, field, why) in zip(rows[1:], HOSTILE, strict=True):
        assert parsed.actor is None, parsed.raw_id
        messages = [str(p) for p in parsed.problems]
        assert any(f"{field}'" in m and why in m for m in messages), (
            parsed.raw_id,
            messages,
        )


def test_yaml_escapes_are_checked_too() -> None:
    text = '- id: "a\\r\\nb"\n  name: Régie\n  family: ACI\n- id: ok\n  name: "x\\u0000"\n  family: ACI\n'
    rows = read_actor_rows("acteurs.yaml", text.encode())
    assert [str(p) for p in rows[0].problems] == [
        "champ 'id' (ligne 1) : caractère de contrôle interdit (U+000D) à la position 2"
    ]
    assert "champ 'name'" in str(rows[1].problems[0])


@pytest.mark.parametrize(
    "address", ["jean.dupont@exemple-asso.fr", "contact+veille@régie.fr", "a_b@c-d.e.org"]
)
def test_plain_addresses_are_accepted(address: str) -> None:
    assert email_ok(address)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    monkeypatch.delenv("VEILLEUSE_RECORDS__URL", raising=False)
    return tmp_path


def _import(path: Path, *options: str) -> tuple[int, str]:
    result = runner.invoke(app, ["actors", "import", str(path), *options])
    if isinstance(result.exception, ValidationError):
        return 2, str(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_the_command_refuses_a_hostile_file_and_writes_nothing(data_dir: Path) -> None:
    path = data_dir / "acteurs.csv"
    path.write_bytes(_csv([_row("regie-nord"), HOSTILE[0][0]]))
    code, message = _import(path)
    assert code != 0
    # the row starts on line 3; its quoted CR/LF ends it on line 4, the line the reader names
    assert f"{path}:4: acteur 'crlf-name', champ 'name'" in message
    listing = runner.invoke(app, ["actors", "list"])
    assert "regie-nord" not in listing.output


def test_a_siret_of_another_actor_is_a_conflict_to_resolve(data_dir: Path) -> None:
    first = data_dir / "premier.csv"
    first.write_bytes(_csv([_row("regie-nord", name="Régie Nord", siret="12345678901234")]))
    assert _import(first)[0] == 0
    other = data_dir / "autre.csv"
    other.write_bytes(
        _csv([_row("intrus", name="Intrus", email="intrus@exemple.fr", siret="12345678901234")])
    )
    code, message = _import(other)
    assert code != 0
    assert f"{other}:2: acteur 'intrus', champ 'siret'" in message and "'regie-nord'" in message
    shown = runner.invoke(app, ["actors", "show", "regie-nord"]).output
    assert "Régie Nord" in shown and "intrus@exemple.fr" not in shown  # not overwritten

    code, output = _import(other, "--on-siret-conflict", "merge")
    assert code == 0 and "intrus: same SIRET as regie-nord, merged into regie-nord" in output
    assert "0 created, 1 updated" in output
    shown = runner.invoke(app, ["actors", "show", "regie-nord"]).output
    assert "Intrus" in shown
    assert runner.invoke(app, ["actors", "show", "intrus"]).exit_code == 1  # no second actor

    code, output = _import(first, "--on-siret-conflict", "replace")
    assert code == 0 and "1 updated" in output  # same id: not a conflict, an update
