"""Conventions of the sources, checked by a command rather than by reviewers.

`check_sources` verifies that every source module documents its Publisher, Access, Arguments and
Caveats, and that every catalogue entry points at an importable spider and a known parser;
`sources_block` renders the catalogue as the Markdown table kept between
`<!-- sources:start -->` and `<!-- sources:end -->` (in the README), and `sync_sources_doc(check=True)` fails when that table is stale, like `cog --check`.

Run `python -m veilleuse.spiders.checks [--check] [PATH…]`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

from veilleuse.core.errors import ConfigError
from veilleuse.spiders.catalogue import SETTING_PREFIX, SourceEntry, env_name, load_catalogue

SECTIONS = ("Publisher", "Access", "Arguments", "Caveats")
START, END = "<!-- sources:start -->", "<!-- sources:end -->"
SOURCES_PACKAGE = "veilleuse.spiders.sources"


def docstring_problems(name: str, doc: str | None) -> list[str]:
    """Missing or empty sections of one module docstring (`Section:` then indented text)."""
    if not doc or not doc.strip():
        return [f"{name}: no module docstring"]
    problems = []
    for section in SECTIONS:
        match = re.search(rf"^{section}:[ \t]*\n?((?:[ \t]+\S.*\n?)+|[ \t]*\S.*)", doc, re.M)
        if not match or not match[1].strip():
            problems.append(f"{name}: missing section '{section}:'")
    return problems


def source_modules(package: str = SOURCES_PACKAGE) -> list[str]:
    module = importlib.import_module(package)
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(module.__path__)
        if not info.name.startswith("_")
    )


def check_sources(
    package: str = SOURCES_PACKAGE, entries: list[SourceEntry] | None = None
) -> list[str]:
    """Every convention broken, one French-free line each (developer-facing); [] when clean."""
    from veilleuse.spiders.base import VeilleuseSpider
    from veilleuse.spiders.parsers import PARSER_MODULES

    problems: list[str] = []
    for name in source_modules(package):
        problems += docstring_problems(name, importlib.import_module(name).__doc__)
    try:
        entries = entries if entries is not None else load_catalogue()
    except ConfigError as exc:
        return [*problems, str(exc)]
    for entry in entries:
        module_name, _, class_name = entry.spider.partition(":")
        try:
            spider = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{entry.name}: spider {entry.spider} cannot be imported ({exc})")
            continue
        if not (inspect.isclass(spider) and issubclass(spider, VeilleuseSpider)):
            problems.append(f"{entry.name}: {entry.spider} is not a VeilleuseSpider")
        if entry.format not in PARSER_MODULES:
            problems.append(f"{entry.name}: unknown format {entry.format}")
        if not entry.found:
            problems.append(f"{entry.name}: say how the endpoint was found ('found:')")
    return problems


def _endpoint(entry: SourceEntry) -> str:
    if entry.endpoint.startswith(SETTING_PREFIX):
        return f"`{env_name(entry.endpoint)}`"
    return f"<{entry.endpoint}>"


def sources_table(entries: list[SourceEntry]) -> str:
    rows = [
        "| source | kind | publisher | endpoint | format | schedule | enabled | how it was found |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        cells = [
            f"`{e.name}`",
            e.kind.value,
            e.publisher,
            _endpoint(e),
            f"`{e.format}`",
            f"`{e.schedule}`",
            "yes" if e.enabled else "no",
            e.found,
        ]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def sources_block(entries: list[SourceEntry] | None = None) -> str:
    """The generated block, markers included."""
    entries = entries if entries is not None else load_catalogue()
    note = (
        "<!-- generated from src/veilleuse/config/sources.yaml by "
        "`python -m veilleuse.spiders.checks`; do not edit by hand -->"
    )
    return f"{START}\n{note}\n\n{sources_table(entries)}\n\n{END}"


def replace_block(text: str, block: str) -> str:
    """`text` with the part between the markers replaced (markers appended when absent)."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block + "\n"


DOC_HEADER = """# Sources

Every source Veilleuse collects, generated from the catalogue (`src/veilleuse/config/sources.yaml`).
Each source module documents its publisher, access, arguments and caveats in its docstring
(`src/veilleuse/spiders/sources/`). Disabled sources wait for a first live check of their URL and
selectors (the development machine had no internet access).

"""


def sync_sources_doc(path: Path, check: bool = False) -> bool:
    """Write the generated block into `path` (creating it); with `check`, only say if up to date."""
    current = path.read_text(encoding="utf-8") if path.exists() else DOC_HEADER
    wanted = replace_block(current, sources_block())
    if check:
        return current == wanted
    if current != wanted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
    return True


def default_doc_path() -> Path:
    return Path(__file__).resolve().parents[3] / "README.md"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [default_doc_path()]
    problems = check_sources()
    for problem in problems:
        print(problem, file=sys.stderr)
    stale = [p for p in paths if not sync_sources_doc(p, check=check)]
    for path in stale:
        print(f"{path}: sources table is out of date (run without --check)", file=sys.stderr)
    return 1 if problems or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
