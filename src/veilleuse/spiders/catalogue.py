"""The sources catalogue: every source Veilleuse knows, with how to fetch and parse it.

One YAML file (`config/sources.yaml`) lists each source once — name, kind, publisher, endpoint,
schedule, parser format, spider class and spider options — so that adding a funder is a data
change, not a code change. Endpoints and options may point at a setting ("setting:sources.x")
so that deployments override them without editing the catalogue, and so that secrets (API tokens)
never live in it. Loading validates everything and names the file and the entry at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from veilleuse.config.settings import Settings
from veilleuse.core.errors import ConfigError

SETTING_PREFIX = "setting:"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")


class SourceKind(StrEnum):
    API = "api"  # a documented machine interface (JSON/XML API, dataset files)
    SPIDER = "spider"  # a site crawled by a source-specific spider
    FEED = "feed"  # RSS/Atom
    HTML = "html"  # a listing page read with CSS/XPath selectors from the catalogue


DEFAULT_SPIDERS = {
    SourceKind.FEED: "veilleuse.spiders.sources.feeds:FeedSpider",
    SourceKind.HTML: "veilleuse.spiders.sources.html_listing:HtmlListingSpider",
}


@dataclass(frozen=True)
class SourceEntry:
    """One catalogue entry, validated; `endpoint` may still be a setting reference."""

    name: str
    kind: SourceKind
    publisher: str
    endpoint: str
    schedule: str
    format: str
    spider: str
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    found: str = ""

    def resolved_endpoint(self, settings: Settings) -> str:
        return str(resolve(self.endpoint, settings) or "")

    def resolved_options(self, settings: Settings) -> dict[str, Any]:
        """Options with setting references read now (secrets unwrapped for the child only)."""
        return {key: resolve(value, settings) for key, value in self.options.items()}

    def missing_secrets(self, settings: Settings) -> list[str]:
        """Setting references among the options that are empty (e.g. an unset API token)."""
        return [
            env_name(value)
            for value in self.options.values()
            if isinstance(value, str)
            and value.startswith(SETTING_PREFIX)
            and resolve(value, settings) in (None, "")
        ]


def resolve(value: Any, settings: Settings) -> Any:
    """Read "setting:section.field" from the settings; other values are returned as they are."""
    if not isinstance(value, str) or not value.startswith(SETTING_PREFIX):
        return value
    target: Any = settings
    for part in value[len(SETTING_PREFIX) :].split("."):
        if not hasattr(target, part):
            raise ConfigError(f"sources catalogue: unknown setting {value!r}")
        target = getattr(target, part)
    if isinstance(target, SecretStr):
        return target.get_secret_value()
    return None if target is None else str(target)


def env_name(reference: str) -> str:
    """The environment variable behind a "setting:a.b" reference (VEILLEUSE_A__B)."""
    return "VEILLEUSE_" + reference[len(SETTING_PREFIX) :].upper().replace(".", "__")


def catalogue_path() -> Path:
    return Path(__file__).resolve().parents[1] / "config" / "sources.yaml"


def load_catalogue(path: Path | None = None) -> list[SourceEntry]:
    """Every entry of the catalogue, in file order; raises ConfigError naming file and entry."""
    path = path or catalogue_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the sources catalogue: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'sources' list")
    entries: list[SourceEntry] = []
    for index, raw in enumerate(document["sources"], start=1):
        entries.append(_entry(raw, f"{path} entry {index}"))
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: duplicate source names: {', '.join(duplicates)}")
    return entries


def _entry(raw: Any, where: str) -> SourceEntry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    missing = [
        k for k in ("name", "kind", "publisher", "endpoint", "format", "schedule") if not raw.get(k)
    ]
    if missing:
        raise ConfigError(f"{where} ({raw.get('name', '?')}): missing {', '.join(missing)}")
    name = str(raw["name"])
    where = f"{where} ({name})"
    if not NAME_RE.match(name):
        raise ConfigError(f"{where}: name must be lower-case letters, digits and dashes")
    try:
        kind = SourceKind(raw["kind"])
    except ValueError as exc:
        raise ConfigError(f"{where}: kind must be one of {[k.value for k in SourceKind]}") from exc
    spider = raw.get("spider") or DEFAULT_SPIDERS.get(kind)
    if not spider or ":" not in spider:
        raise ConfigError(f"{where}: kind {kind.value} needs a spider 'package.module:Class'")
    endpoint = str(raw["endpoint"])
    if not (endpoint.startswith(SETTING_PREFIX) or re.match(r"https?://", endpoint)):
        raise ConfigError(f"{where}: endpoint must be an http(s) URL or 'setting:section.field'")
    from veilleuse.spiders.parsers import PARSER_MODULES

    if raw["format"] not in PARSER_MODULES:
        raise ConfigError(f"{where}: unknown format {raw['format']!r}")
    if len(str(raw["schedule"]).split()) != 5:
        raise ConfigError(f"{where}: schedule must be a 5-field cron expression")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: options must be a mapping")
    unknown = set(raw) - {
        "name",
        "kind",
        "publisher",
        "endpoint",
        "format",
        "schedule",
        "spider",
        "options",
        "enabled",
        "found",
    }
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    return SourceEntry(
        name=name,
        kind=kind,
        publisher=str(raw["publisher"]),
        endpoint=endpoint,
        schedule=str(raw["schedule"]),
        format=str(raw["format"]),
        spider=str(spider),
        options=dict(options),
        enabled=bool(raw.get("enabled", True)),
        found=str(raw.get("found", "")),
    )


def select(
    entries: list[SourceEntry], names: list[str] | None = None, include_disabled: bool = False
) -> list[SourceEntry]:
    """The entries to run: all enabled ones, or exactly the named ones (even if disabled)."""
    if not names:
        return [e for e in entries if e.enabled or include_disabled]
    by_name = {e.name: e for e in entries}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name))
        raise ConfigError(f"unknown source(s) {', '.join(unknown)}; known sources: {known}")
    return [by_name[n] for n in names]
