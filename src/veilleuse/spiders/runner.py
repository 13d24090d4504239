"""Run one Scrapy crawl per subprocess and read its items back as JSON lines.

Why a subprocess: Twisted's reactor cannot be restarted in one process, so a second crawl (the
next weekly run, a test, a CLI call after a flow) would fail with ReactorNotRestartable. A child
process per crawl also isolates failures: a source that crashes, hangs or exhausts memory is
reported as FAILED with its reason, and the other sources go on.

Protocol: the parent writes a `CrawlSpec` as JSON into a private temporary folder (mode 0700:
it may carry an API token), runs `python -m veilleuse.spiders.runner SPEC OUT`, and reads `OUT`
(one item per line, see `spiders/base.py`) even when the child failed, so what was fetched before
a failure is kept (but the caller does not advance the watermark).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers.base import Problem

#: a crawl that runs longer than this is killed and reported FAILED
DEFAULT_TIMEOUT_S = 1800.0


@dataclass
class CrawlSpec:
    """Everything a child process needs to run one source's crawl."""

    source: str
    spider: str  # "package.module:Class"
    endpoint: str
    fmt: str | None = None
    since: str | None = None
    until: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class CrawlOutcome:
    """What one crawl produced: notices, rejected records, fatal fetch failures, proposed state."""

    source: str
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failures: list[Problem] = field(default_factory=list)
    state: dict[str, str | None] = field(default_factory=dict)
    pages: int = 0
    bytes: int = 0
    #: HTTP status of every page read, and of every fetch refused for good, in order
    statuses: list[int] = field(default_factory=list)
    finish_reason: str | None = None
    returncode: int | None = None
    duration_s: float = 0.0

    @property
    def complete(self) -> bool:
        """True when every page was fetched: only then may the watermark move."""
        return not self.failures and self.returncode == 0 and self.finish_reason == "finished"


def run_crawl(spec: CrawlSpec, timeout_s: float = DEFAULT_TIMEOUT_S) -> CrawlOutcome:
    """Run one crawl in a child process; never raises for a failing source."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="veilleuse-crawl-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "items.jsonl"
        spec_path.write_text(json.dumps(asdict(spec), default=str), encoding="utf-8")
        spec_path.chmod(0o600)
        command = [sys.executable, "-m", "veilleuse.spiders.runner", str(spec_path), str(out_path)]
        env = {**os.environ, "TLDEXTRACT_CACHE": str(Path(tmp) / "tldextract")}
        returncode: int | None
        crash: str | None = None
        try:
            proc = subprocess.run(
                command, capture_output=True, timeout=timeout_s, env=env, check=False
            )
            returncode = proc.returncode
            if returncode != 0:
                tail = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()[-3:]
                crash = (
                    f"le processus de collecte s'est arrêté (code {returncode}) : "
                    + " | ".join(tail)
                )
        except subprocess.TimeoutExpired:
            returncode = None
            crash = (
                f"la collecte a dépassé le délai maximal de {timeout_s:g} s et a été interrompue"
            )
        outcome = read_items(out_path, spec.source)
    outcome.returncode = returncode
    if crash:
        outcome.failures.append(Problem(spec.endpoint, crash))
    outcome.duration_s = time.perf_counter() - started
    return outcome


def run_crawls(
    specs: Sequence[CrawlSpec], timeout_s: float = DEFAULT_TIMEOUT_S, parallel: int = 1
) -> dict[str, CrawlOutcome]:
    """Run several crawls, each in its own process, `parallel` at a time; results by source."""

    def guarded(spec: CrawlSpec) -> CrawlOutcome:
        try:
            return run_crawl(spec, timeout_s)
        except Exception as exc:  # one source must never stop the others
            return CrawlOutcome(
                spec.source, failures=[Problem(spec.endpoint, f"collecte impossible : {exc}")]
            )

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        outcomes = list(pool.map(guarded, specs))
    return {o.source: o for o in outcomes}


def read_items(path: Path, source: str) -> CrawlOutcome:
    """Fold the child's JSON lines into an outcome (a torn last line is ignored)."""
    outcome = CrawlOutcome(source)
    if not path.exists():
        return outcome
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            _fold(outcome, item)
    return outcome


def _fold(outcome: CrawlOutcome, item: dict[str, Any]) -> None:
    kind = item.get("type")
    if kind == "notice":
        outcome.notices.append(Notice.model_validate(item["notice"]))
    elif kind == "problem":
        outcome.problems.append(Problem(item["origin"], item["reason"], item.get("record")))
    elif kind == "failure":
        outcome.failures.append(Problem(item["origin"], item["reason"]))
        if item.get("status"):
            outcome.statuses.append(int(item["status"]))
    elif kind == "state":
        outcome.state.update({k: v for k, v in item.items() if k != "type"})
    elif kind == "page":
        outcome.pages += 1
        outcome.bytes += int(item.get("bytes", 0))
        if item.get("status"):
            outcome.statuses.append(int(item["status"]))
    elif kind == "closed":
        outcome.finish_reason = item.get("reason")


# --------------------------------------------------------------------------- child side


class JsonLinesPipeline:
    """Item pipeline of the child: every item becomes one flushed JSON line in VEILLEUSE_OUTPUT."""

    def __init__(self, path: str) -> None:
        self.out = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - closed on spider_closed

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesPipeline:
        from scrapy import signals

        pipeline = cls(crawler.settings.get("VEILLEUSE_OUTPUT"))
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def write(self, item: dict[str, Any]) -> None:
        self.out.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        self.out.flush()

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.write(dict(item))
        return item

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        reason = f"erreur du module de collecte : {type(failure.value).__name__}: {failure.value}"
        self.write({"type": "failure", "origin": response.url, "reason": reason})

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.write({"type": "closed", "reason": reason})
        self.out.close()


def _offline_tldextract(cache_dir: str | None) -> None:
    """Make Scrapy's cookie middleware use tldextract's bundled suffix list (no download)."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(
        cache_dir=cache_dir, suffix_list_urls=(), include_psl_private_domains=True
    )


def load_class(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def child_main(spec_path: str, out_path: str) -> int:
    from scrapy.crawler import CrawlerProcess

    spec = CrawlSpec(**json.loads(Path(spec_path).read_text(encoding="utf-8")))
    _offline_tldextract(os.environ.get("TLDEXTRACT_CACHE"))
    settings = {
        **spec.settings,
        "VEILLEUSE_OUTPUT": out_path,
        "ITEM_PIPELINES": {"veilleuse.spiders.runner.JsonLinesPipeline": 100},
    }
    process = CrawlerProcess(settings=settings)
    process.crawl(
        load_class(spec.spider),
        source=spec.source,
        endpoint=spec.endpoint,
        fmt=spec.fmt,
        since=spec.since,
        until=spec.until,
        source_state=spec.state,
        options=spec.options,
    )
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1], sys.argv[2]))
