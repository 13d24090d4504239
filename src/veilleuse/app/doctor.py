"""`veilleuse doctor`: check a deployment's configuration, say what is wrong and how to fix it.

Each check returns `Check`s: a part, whether it is fine, whether the problem blocks a weekly run,
and the words for the watch officer (what is wrong, then what to do). Nothing is changed: the
records database is read, not migrated; the store is asked, not created.
"""

from __future__ import annotations

import os
import smtplib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veilleuse.app.context import Context
from veilleuse.config.settings import MailMode, StoreBackend
from veilleuse.core.errors import RecordsError


@dataclass(frozen=True)
class Check:
    part: str
    ok: bool
    message: str
    blocking: bool = True

    @property
    def level(self) -> str:
        return "ok" if self.ok else ("error" if self.blocking else "warning")


def _ok(part: str, message: str) -> Check:
    return Check(part, True, message, blocking=False)


def check_records(ctx: Context) -> list[Check]:
    from veilleuse.records.revision import current_revision, head_revision

    url = ctx.settings.records_url()
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        return [_ok("records", f"records database {url} not created yet: made on first use")]
    head = head_revision()
    try:
        current = current_revision(url)
    except RecordsError as exc:
        return [
            Check(
                "records",
                False,
                f"{exc}. Check VEILLEUSE_RECORDS__URL and that the database server runs.",
            )
        ]
    if current == head:
        return [_ok("records", f"records database migrated to head ({head})")]
    return [
        Check(
            "records",
            False,
            f"records database at revision {current or 'none'}, this version needs {head}. "
            "Back it up, then run any command that opens it (e.g. `veilleuse weekly`): it is "
            "migrated to the latest schema on first use.",
        )
    ]


def _es_checks(ctx: Context, dimension: int | None) -> list[Check]:
    try:
        return _es_details(ctx, dimension)
    except Exception as exc:
        return [Check("store", False, f"Elasticsearch check failed: {exc}.")]


def _es_details(ctx: Context, dimension: int | None) -> list[Check]:
    from veilleuse.search.es_index import EsIndex
    from veilleuse.search.es_mapping import MAPPING_VERSION

    store = ctx.settings.store
    index = EsIndex(store)
    try:
        index.client.info()
        current = index.current_index()
    except Exception as exc:
        return [
            Check(
                "store",
                False,
                f"Elasticsearch at {index.url} unreachable: {exc}. Check VEILLEUSE_STORE__URL "
                "(and credentials) and that the server runs.",
            )
        ]
    found = [_ok("store", f"Elasticsearch at {index.url} answers")]
    if current is None:
        found.append(_ok("index", f"alias {index.alias} absent: created on the first index run"))
    else:
        version = index.mapping_version(current)
        if version < MAPPING_VERSION:
            found.append(
                Check(
                    "index",
                    False,
                    f"index {current} has mapping version {version}, this version needs "
                    f"{MAPPING_VERSION}: run `veilleuse index migrate`.",
                )
            )
        else:
            found.append(_ok("index", f"alias {index.alias} → {current}, mapping {version}"))
        mapping: dict[str, Any] = dict(index.client.indices.get_mapping(index=current).body)
        entry: dict[str, Any] = next(iter(mapping.values()), {})
        props: dict[str, Any] = entry.get("mappings", {}).get("properties", {})
        dims = props.get("vector", {}).get("dims")
        if dims is not None and dimension is not None and int(dims) != dimension:
            found.append(_dimension_mismatch(int(dims), dimension, "veilleuse index migrate"))
    if store.text_analyzer == "veilleuse_french":
        nodes = dict(index.client.nodes.info(metric="modules").body).get("nodes", {})
        modules = {m.get("name") for node in nodes.values() for m in node.get("modules", [])}
        if "analysis-common" not in modules:
            found.append(
                Check(
                    "analyzer",
                    False,
                    "the veilleuse_french analyzer needs the analysis-common module, which this "
                    "Elasticsearch lacks: use a full distribution, or set "
                    "VEILLEUSE_STORE__TEXT_ANALYZER=standard and run `veilleuse index migrate`.",
                )
            )
        else:
            found.append(_ok("analyzer", "veilleuse_french available (analysis-common)"))
    return found


def _dimension_mismatch(stored: int, model: int, fix: str) -> Check:
    return Check(
        "vectors",
        False,
        f"the store holds vectors of dimension {stored}, the embedding model makes {model}: "
        f"set VEILLEUSE_EMBEDDING__MODEL back to the model the store was built with, or rebuild "
        f"({fix}).",
    )


def check_store(ctx: Context, dimension: int | None) -> list[Check]:
    settings = ctx.settings
    if settings.store.resolved_backend() is StoreBackend.ELASTICSEARCH:
        return _es_checks(ctx, dimension)
    path = settings.store_path()
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK):
            return [
                Check(
                    "store",
                    False,
                    f"cannot create the embedded store {path}: no write "
                    "access. Check VEILLEUSE_DATA_DIR or VEILLEUSE_STORE__PATH.",
                )
            ]
        return [_ok("store", f"embedded store {path} not created yet: made on first use")]
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT vec FROM vectors LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        return [Check("store", False, f"embedded store {path} unreadable: {exc}.")]
    found = [_ok("store", f"embedded store {path} readable")]
    if row is not None and dimension is not None and len(row[0]) // 4 != dimension:
        found.append(_dimension_mismatch(len(row[0]) // 4, dimension, f"delete {path}"))
    return found


def check_embedder(ctx: Context) -> tuple[list[Check], int | None]:
    try:
        dimension = int(ctx.embedder.dimension)
    except Exception as exc:
        return [
            Check(
                "embedding",
                False,
                f"the embedding model {ctx.settings.embedding.model!r} does not load: {exc}. "
                "Check VEILLEUSE_EMBEDDING__MODEL (a local path or the bundled model).",
            )
        ], None
    return [_ok("embedding", f"model {ctx.embedder.name} loads (dimension {dimension})")], dimension


def check_mail(ctx: Context) -> list[Check]:
    settings = ctx.settings
    mail = settings.mail
    found: list[Check] = []
    if mail.mode is MailMode.SMTP:
        try:
            with smtplib.SMTP(
                mail.smtp_host, mail.smtp_port, timeout=min(mail.smtp_timeout, 10)
            ) as s:
                s.noop()
            found.append(_ok("smtp", f"SMTP {mail.smtp_host}:{mail.smtp_port} answers"))
        except (OSError, smtplib.SMTPException) as exc:
            found.append(
                Check(
                    "smtp",
                    False,
                    f"SMTP {mail.smtp_host}:{mail.smtp_port} does not answer: {exc}. Check "
                    "VEILLEUSE_MAIL__SMTP_HOST / __SMTP_PORT.",
                )
            )
    has_secret = (
        mail.link_secret is not None
        or settings.web.secret_key is not None
        or settings.web_secret_path().exists()
    )
    if has_secret:
        found.append(_ok("secrets", "link signing and session keys set"))
    else:
        found.append(
            Check(
                "secrets",
                False,
                "no key signs the links in e-mails and the sessions (mail.link_secret, "
                f"web.secret_key, or {settings.web_secret_path()}): set VEILLEUSE_MAIL__LINK_SECRET "
                "and VEILLEUSE_WEB__SECRET_KEY to long random strings, shared by the web app.",
                blocking=mail.mode is MailMode.SMTP,
            )
        )
    return found


def check_prefect(ctx: Context) -> list[Check]:
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        return []
    import httpx

    try:
        httpx.get(f"{api.rstrip('/')}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        return [
            Check(
                "prefect",
                False,
                f"Prefect API {api} unreachable: {exc}. Start the server (`prefect server start "
                "--host 127.0.0.1`) or fix PREFECT_API_URL.",
            )
        ]
    return [_ok("prefect", f"Prefect API {api} answers")]


def check_sources(ctx: Context) -> list[Check]:
    from veilleuse.spiders.catalogue import load_catalogue, select

    found: list[Check] = []
    for entry in select(load_catalogue(), None):
        if not entry.resolved_endpoint(ctx.settings):
            found.append(
                Check(
                    f"source {entry.name}",
                    False,
                    f"no endpoint ({entry.endpoint}); set it, or disable the source.",
                    False,
                )
            )
        missing = entry.missing_secrets(ctx.settings)
        if missing:
            found.append(
                Check(
                    f"source {entry.name}",
                    False,
                    f"{', '.join(missing)} not set; its live collection will fail.",
                    False,
                )
            )
    return found or [_ok("sources", "every enabled source is configured")]


def diagnose(ctx: Context) -> list[Check]:
    """Every check, in the order an officer fixes them."""
    embedder, dimension = check_embedder(ctx)
    steps: list[Callable[[], list[Check]]] = [
        lambda: check_records(ctx),
        lambda: check_store(ctx, dimension),
        lambda: embedder,
        lambda: check_mail(ctx),
        lambda: check_prefect(ctx),
        lambda: check_sources(ctx),
    ]
    return [check for step in steps for check in step()]


def blocks_weekly(checks: list[Check]) -> bool:
    return any(not c.ok and c.blocking for c in checks)
