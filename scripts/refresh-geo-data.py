#!/usr/bin/env python3
"""Rebuild `src/veilleuse/config/data/geo/` from the npm package `@etalab/decoupage-administratif`.

Usage: `.venv/bin/python scripts/refresh-geo-data.py [VERSION]` (default: the version named in
the folder's PROVENANCE.md). Needs `npm` (it only runs `npm pack`, which downloads the package
tarball from the npm registry); standard library otherwise. Writes the compact files the product
reads (`veilleuse.core.territory`) and updates the version and date in PROVENANCE.md.

Kept: current communes of all France (code INSEE, name, SIREN, EPCI SIREN, postcodes; the
département is the code's prefix), EPCI à fiscalité propre (SIREN, name, kind), départements and
régions. Dropped: populations, arrondissements, delegated/associated communes, EPT.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
TARGET = Path(__file__).resolve().parent.parent / "src/veilleuse/config/data/geo"
PROVENANCE = TARGET / "PROVENANCE.md"


def _current_version() -> str:
    found = re.search(r"version `([\d.]+)`", PROVENANCE.read_text(encoding="utf-8"))
    return found.group(1) if found else "6.0.0"


def _fetch(version: str, into: Path) -> Path:
    """`npm pack` the package into `into` and unpack it; the folder holding `data/`."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent"], cwd=into, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    (tarball,) = into.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="data")
    return into / "package"


def _dump(path: Path, data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if path.suffix == ".gz":
        # mtime=0: the same data gives the same bytes (no spurious diff)
        path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    else:
        path.write_text(text + "\n", encoding="utf-8")


def build(package: Path) -> dict[str, int]:
    """Write the compact files from the unpacked package; counts of what was kept."""
    data = package / "data"
    load = lambda name: json.loads((data / name).read_text(encoding="utf-8"))  # noqa: E731
    epcis = load("epci.json")
    epci_of = {m["code"]: e["code"] for e in epcis for m in e["membres"]}
    communes = [
        [c["code"], c["nom"], c.get("siren"), epci_of.get(c["code"]), c.get("codesPostaux", [])]
        for c in load("communes.json")
        if c["type"] == "commune-actuelle"
    ]
    TARGET.mkdir(parents=True, exist_ok=True)
    _dump(
        TARGET / "communes.json.gz",
        {"columns": ["insee", "name", "siren", "epci", "postcodes"], "rows": communes},
    )
    _dump(TARGET / "epci.json", [[e["code"], e["nom"], e["type"]] for e in epcis])
    _dump(
        TARGET / "departements.json",
        [[d["code"], d["nom"], d["region"]] for d in load("departements.json")],
    )
    _dump(TARGET / "regions.json", [[r["code"], r["nom"]] for r in load("regions.json")])
    return {"communes": len(communes), "epci": len(epcis)}


def main(argv: list[str]) -> int:
    version = argv[1] if len(argv) > 1 else _current_version()
    with tempfile.TemporaryDirectory() as tmp:
        package = _fetch(version, Path(tmp))
        found = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        counts = build(package)
    text = PROVENANCE.read_text(encoding="utf-8")
    text = re.sub(r"version `[\d.]+`", f"version `{found}`", text)
    today = datetime.now(UTC).date().isoformat()
    text = re.sub(r"fetched on \d{4}-\d{2}-\d{2}", f"fetched on {today}", text)
    PROVENANCE.write_text(text, encoding="utf-8")
    print(f"{PACKAGE}@{found}: {counts['communes']} communes, {counts['epci']} EPCI → {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
