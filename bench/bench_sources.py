"""Source throughput: parse + normalise speed per format, and the fixed cost of a crawl process.

For each source format, the bundled samples are parsed through the registry (`parse_payload`,
text signals included) repeatedly for at least --seconds, giving notices/s. Then the same RSS
payload is collected by a real crawl subprocess against a local HTTP server (127.0.0.1) and the
median wall time is compared with parsing the payload alone: the ratio is the fixed cost of
starting Scrapy in a child process, paid once per source per run. Not a test; ratios only.

    .venv/bin/python bench/bench_sources.py --seconds 1 --crawls 3
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

#: (format, sample files relative to data/samples)
FORMATS = [
    ("boamp_xml", ["boamp/xml_v230/test-pub.xml", "boamp/xml_v230/test-attribution-12.xml"]),
    ("boamp_ods", ["boamp/ods_v21/boamp_records_constructed.json"]),
    ("ted_eforms", ["ted_eforms/cn_24_maximal.xml", "ted_eforms/cn_24_FRA_comments.xml"]),
    ("ted_api", ["ted_api_v3/ted_search_v3_subset.json"]),
    ("aides_territoires", ["aides_territoires/departement_drome_aids_api.json"]),
    ("calls_for_projects", ["calls_for_projects/carenews_aap_scraped.json"]),
    ("decp", ["decp/decp_processing_test_2022.json"]),
    ("rss", ["rss/appels_a_projets_rss2.xml", "rss/appels_a_projets_atom.xml"]),
]


def parse_rate(fmt: str, files: list[Path], seconds: float) -> tuple[int, float, float]:
    """(notices per pass, notices/s, seconds per pass)."""
    from veilleuse.spiders.parsers import parse_payload

    payloads = [(p.read_bytes(), str(p)) for p in files if p.exists()]
    per_pass = sum(len(parse_payload(d, o, fmt=fmt).notices) for d, o in payloads)  # warm-up
    passes, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for data, origin in payloads:
            parse_payload(data, origin, fmt=fmt)
        passes += 1
    elapsed = time.perf_counter() - started
    return per_pass, per_pass * passes / elapsed, elapsed / passes


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def crawl_cost(runs: int) -> tuple[float, float]:
    """(median seconds of a one-page crawl subprocess, seconds to parse that page alone)."""
    from veilleuse.spiders.base import polite_settings
    from veilleuse.spiders.runner import CrawlSpec, run_crawl

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(SAMPLES / "rss")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/appels_a_projets_rss2.xml"
    fast = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}
    spec = CrawlSpec(
        "bench",
        "veilleuse.spiders.sources.feeds:FeedSpider",
        url,
        "rss",
        since="2000-01-01",
        settings=polite_settings("Veilleuse-bench", overrides=fast),
    )
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            outcome = run_crawl(spec, timeout_s=120)
            times.append(time.perf_counter() - started)
            assert outcome.complete and outcome.notices, outcome.failures
    finally:
        server.shutdown()
    _, _, parse_s = parse_rate("rss", [SAMPLES / "rss" / "appels_a_projets_rss2.xml"], 0.3)
    return statistics.median(times), parse_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per format")
    parser.add_argument("--crawls", type=int, default=3, help="crawl subprocesses to time")
    args = parser.parse_args()

    print(f"{'format':<20} {'notices/pass':>12} {'notices/s':>11} {'ms/pass':>9}")
    for fmt, files in FORMATS:
        count, rate, per_pass = parse_rate(fmt, [SAMPLES / f for f in files], args.seconds)
        print(f"{fmt:<20} {count:>12} {rate:>11.0f} {per_pass * 1000:>9.2f}")
    crawl_s, parse_s = crawl_cost(args.crawls)
    print()
    print(f"{'one-page crawl in a subprocess (median)':<44} {crawl_s * 1000:>9.0f} ms")
    print(f"{'parsing the same page alone':<44} {parse_s * 1000:>9.2f} ms")
    print(f"{'ratio (fixed cost of a crawl process)':<44} {crawl_s / parse_s:>9.0f} x")


if __name__ == "__main__":
    main()
