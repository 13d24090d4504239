"""`scripts/elasticsearch.sh stop` never deletes a run folder that a live process still uses.

A fake node (a sleeping Python process whose command line names the folder, as a real node's
does) holds a run folder the script's state points to, with no PID saved for it — the case of
a node the script no longer tracks. `stop` must keep the folder and fail; once the fake node is
ended (by its PID), `stop` deletes it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "elasticsearch.sh"


def _stop(state: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "VEILLEUSE_ES_STATE": str(state), "HOME": str(state)}
    return subprocess.run(
        ["bash", str(SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=60
    )


def test_stop_keeps_a_folder_a_live_node_uses(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    run = tmp_path / "veilleuse-es.fake01"
    (run / "data").mkdir(parents=True)
    (run / "data" / "segment").write_text("data of a live node")
    (state / "run_dir").write_text(f"{run}\n")
    (state / "pid").write_text("999999999\n")  # a PID that no longer runs: untracked node
    node = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)", f"-Epath.data={run}/data"]
    )
    try:
        kept = _stop(state)
        assert kept.returncode != 0
        assert "still used" in kept.stderr and str(node.pid) in kept.stderr
        assert (run / "data" / "segment").is_file()
        assert (state / "run_dir").is_file()  # the state still names it
    finally:
        node.kill()
        node.wait(timeout=10)
    done = _stop(state)
    assert done.returncode == 0, done.stderr
    assert not run.exists()
    assert not (state / "run_dir").exists()
