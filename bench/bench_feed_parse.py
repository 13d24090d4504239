"""A large RSS feed through the parser registry: wall time and peak memory (RSS) of one parse,
each in a fresh child process, against a baseline measured in the same run: reading the same
bytes and decoding them to text (the least any parser must do). The parse is measured without
a size limit, then with the default `sources.max_payload_mb` (which refuses a feed above it).

The feed is CONSTRUCTED for the benchmark (invented calls for projects, deterministic: item i
has the same French title, text, link and date in every run, no randomness): by default
45,000 items, about 50 MB, the size of the feed reported in issue 15.

    .venv/bin/python bench/bench_feed_parse.py                 # 45,000 items (~50 MB)
    .venv/bin/python bench/bench_feed_parse.py --items 4500    # ~5 MB
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "appel",
    "à",
    "projets",
    "économie",
    "sociale",
    "et",
    "solidaire",
    "insertion",
    "par",
    "l'activité",
    "économique",
    "alimentation",
    "durable",
    "mobilité",
    "inclusive",
    "tiers-lieu",
    "réemploi",
    "accompagnement",
    "des",
    "structures",
    "emploi",
    "des",
    "personnes",
    "handicapées",
    "territoire",
    "quartiers",
    "prioritaires",
    "transition",
    "écologique",
]


def item(i: int) -> str:
    words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(82))
    day = 1 + i % 28
    return (
        f"<item><title>Appel à projets n° {i} : {WORDS[i % len(WORDS)]}</title>"
        f"<link>https://appels.example.org/aap/{i}</link>"
        f"<guid>https://appels.example.org/aap/{i}</guid>"
        f"<description>{words}. Date limite de dépôt : {day} mars 2027.</description>"
        f"<category>Associations</category><category>Hauts-de-France</category>"
        f"<pubDate>Mon, {day:02d} Nov 2026 08:00:00 +0000</pubDate></item>\n"
    )


def write_feed(path: Path, items: int) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>')
        out.write(
            "<title>Appels à projets (construit)</title><link>https://appels.example.org/</link>"
        )
        out.write("<description>Flux construit pour le banc d'essai</description>\n")
        for i in range(items):
            out.write(item(i))
        out.write("</channel></rss>\n")
    return path.stat().st_size


CHILD = """
import json, resource, sys, time
from pathlib import Path
path, mode = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
if mode == "baseline":
    data = path.read_bytes()
    notices = len(data.decode("utf-8"))
    problems = 0
else:
    from veilleuse.config.settings import Settings
    from veilleuse.spiders.parsers import parse_path
    limit = Settings().sources.max_payload_bytes if mode == "limited" else None
    result = parse_path(path, fmt="rss", max_bytes=limit)
    notices, problems = len(result.notices), len(result.problems)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "notices": notices, "problems": problems}))
"""


def measure(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=45_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.xml"
        started = time.perf_counter()
        size = write_feed(path, args.items)
        print(
            f"feed: {args.items} items, {size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s"
        )
        base = measure(path, "baseline")
        parsed = measure(path, "parse")
        limited = measure(path, "limited")
    print(f"baseline (read + decode): {base['seconds']:.2f} s, peak RSS {base['peak_mb']:.0f} MB")
    print(
        f"parse_path(rss):          {parsed['seconds']:.2f} s, peak RSS {parsed['peak_mb']:.0f} MB, "
        f"{parsed['notices']:.0f} notices, {parsed['problems']:.0f} problems"
    )
    print(
        f"with sources.max_payload_mb (default 20): {limited['seconds']:.2f} s, "
        f"peak RSS {limited['peak_mb']:.0f} MB, {limited['notices']:.0f} notices, "
        f"{limited['problems']:.0f} problem (refused unread when the feed is larger)"
    )
    print(
        f"ratios (no limit): time x{parsed['seconds'] / base['seconds']:.0f}, "
        f"peak RSS x{parsed['peak_mb'] / base['peak_mb']:.1f}, "
        f"{parsed['seconds'] / max(parsed['notices'], 1) * 1000:.2f} ms per item"
    )


if __name__ == "__main__":
    main()
