"""The sources catalogue, the source-docstring convention and the generated sources table."""

from __future__ import annotations

from pathlib import Path

import pytest

from veilleuse.config.settings import get_settings
from veilleuse.core.errors import ConfigError
from veilleuse.spiders.catalogue import SourceKind, load_catalogue, select
from veilleuse.spiders.checks import (
    END,
    START,
    check_sources,
    default_doc_path,
    docstring_problems,
    replace_block,
    sources_block,
    sync_sources_doc,
)

PROCUREMENT_FORMATS = {"boamp_ods", "ted_api", "decp"}


def test_the_shipped_catalogue_loads_and_lists_real_funding_sources() -> None:
    entries = load_catalogue()
    names = [e.name for e in entries]
    assert names[:4] == ["boamp", "ted", "decp", "aides-territoires"]
    funding = [e for e in entries if e.format not in PROCUREMENT_FORMATS]
    assert len(funding) >= 10
    assert all(e.found for e in entries)
    assert {e.kind for e in funding} == {SourceKind.API, SourceKind.FEED, SourceKind.HTML}
    assert all(e.endpoint.startswith(("https://", "setting:")) for e in entries)


def test_endpoints_and_options_resolve_from_settings() -> None:
    settings = get_settings(sources={"aides_territoires_token": "secret"})
    by_name = {e.name: e for e in load_catalogue()}
    assert by_name["boamp"].resolved_endpoint(settings) == settings.sources.boamp_url
    assert (
        by_name["ted"].resolved_options(settings)["notice_url"] == settings.sources.ted_notice_url
    )
    assert by_name["aides-territoires"].resolved_options(settings)["token"] == "secret"
    assert by_name["aides-territoires"].missing_secrets(settings) == []
    unset = get_settings(sources={"aides_territoires_token": None})
    assert by_name["aides-territoires"].missing_secrets(unset) == [
        "VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN"
    ]


def test_select_enabled_or_named() -> None:
    entries = load_catalogue()
    assert [e.name for e in select(entries)] == ["boamp", "ted", "decp", "aides-territoires"]
    assert [e.name for e in select(entries, ["avise"])] == ["avise"]  # disabled but named
    with pytest.raises(ConfigError, match="unknown source\\(s\\) nope; known sources: "):
        select(entries, ["nope"])


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("sources: 3", "expected a mapping with a 'sources' list"),
        (
            "sources:\n  - {name: x1, kind: rss, publisher: p, endpoint: 'https://a', format: rss,"
            " schedule: '0 6 * * 1'}",
            "entry 1 (x1): kind must be one of",
        ),
        (
            "sources:\n  - {name: x1, kind: feed, publisher: p, endpoint: 'ftp://a', format: rss,"
            " schedule: '0 6 * * 1'}",
            "endpoint must be an http(s) URL",
        ),
        (
            "sources:\n  - {name: x1, kind: feed, publisher: p, endpoint: 'https://a', format: nope,"
            " schedule: '0 6 * * 1'}",
            "unknown format 'nope'",
        ),
        (
            "sources:\n  - {name: x1, kind: api, publisher: p, endpoint: 'https://a', format: rss,"
            " schedule: '0 6 * * 1'}",
            "kind api needs a spider",
        ),
        (
            "sources:\n  - {name: x1, kind: feed, publisher: p, endpoint: 'https://a', format: rss,"
            " schedule: weekly}",
            "schedule must be a 5-field cron expression",
        ),
        (
            "sources:\n  - {name: x1, kind: feed, publisher: p, endpoint: 'https://a', format: rss}",
            "entry 1 (x1): missing schedule",
        ),
        (
            "sources:\n  - &e {name: x1, kind: feed, publisher: p, endpoint: 'https://a', format: rss,"
            " schedule: '0 6 * * 1'}\n  - *e",
            "duplicate source names: x1",
        ),
    ],
)
def test_invalid_catalogues_name_the_file_and_entry(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_catalogue(path)
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_feed_and_html_entries_get_the_generic_spiders(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - {name: f1, kind: feed, publisher: p, endpoint: 'https://a', format: rss,"
        " schedule: '0 6 * * 1', found: test}\n",
        encoding="utf-8",
    )
    assert load_catalogue(path)[0].spider == "veilleuse.spiders.sources.feeds:FeedSpider"


def test_every_source_module_documents_its_sections() -> None:
    assert check_sources() == []


def test_docstring_check_names_the_missing_sections() -> None:
    doc = "Title.\n\nPublisher:\n    Someone.\nAccess:\n\nCaveats: none known\n"
    assert docstring_problems("m", doc) == [
        "m: missing section 'Access:'",
        "m: missing section 'Arguments:'",
    ]
    assert docstring_problems("m", None) == ["m: no module docstring"]


def test_generated_sources_doc_is_up_to_date() -> None:
    assert sync_sources_doc(default_doc_path(), check=True), (
        "the README source catalogue is stale: run veilleuse sources check --write"
    )


def test_replace_block_between_markers() -> None:
    block = sources_block(load_catalogue()[:1])
    readme = f"# Veilleuse\n\n{START}\nold\n{END}\n\nmore\n"
    updated = replace_block(readme, block)
    assert updated.startswith("# Veilleuse\n\n<!-- sources:start -->")
    assert "| `boamp` | api |" in updated and "old" not in updated and updated.endswith("more\n")
    assert replace_block("no markers", block).endswith(END + "\n")
