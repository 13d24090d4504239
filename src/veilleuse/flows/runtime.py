"""Prefect process settings that must be in place before Prefect is imported."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_prefect(data_dir: Path) -> None:
    """Quiet, offline, state under the deployment's data folder, patient start-up on 2 cores;
    without `PREFECT_API_URL`, the temporary API server Prefect starts ends with this process,
    even killed with SIGKILL (`flows.server_watchdog`)."""
    defaults = {
        "PREFECT_HOME": str((data_dir / "prefect").resolve()),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_UI_ENABLED": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # Prefect creates its home without parents and then fails to open its database
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    if not os.environ.get("PREFECT_API_URL"):
        from veilleuse.flows.server_watchdog import tie_ephemeral_server

        tie_ephemeral_server()
