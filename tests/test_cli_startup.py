"""The command line starts without the heavy libraries: `veilleuse --help` and `veilleuse settings`
must answer at once, so each command imports what it uses when it runs (issue 14, target 8).

Checked by what a fresh interpreter has imported, not by a clock (timings live in bench/).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "scrapy",
    "twisted",
    "sqlalchemy",
    "numpy",
    "torch",
    "sentence_transformers",
    "onnxruntime",
    "elasticsearch",
    "prefect",
    "fastapi",
    "jinja2",
    "feedparser",
    "lxml",
    "matplotlib",
)


def _imported_after(code: str) -> list[str]:
    probe = (
        "import sys, json\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert _imported_after("import veilleuse.cli") == []


def test_help_and_settings_load_no_heavy_library() -> None:
    run_help = (
        "from veilleuse.cli import app\n"
        "from typer.main import get_command\n"
        "cmd = get_command(app)\n"
        "try:\n"
        "    cmd.main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert _imported_after(run_help) == []
    run_settings = run_help.replace("['--help']", "['settings']")
    assert _imported_after(run_settings) == []
