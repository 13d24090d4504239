"""The web app's account, login and saved-search tests again, on a PostgreSQL records database.

The tests of `test_auth` and `test_saved_searches` are imported here, so pytest runs them a
second time with this module's `web_settings`: the same seeded data folder (notice store), but
the records (accounts, sessions, saved searches, actors, territories) in a fresh PostgreSQL
database seeded for each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_auth import *  # noqa: F403 - collected again on PostgreSQL
from test_saved_searches import *  # noqa: F403 - collected again on PostgreSQL
from web_helpers import FAST_HASHING, PASSWORD, USERS, seed_test_territories

from test_support import fresh_pg_database, pg_url_or_skip
from veilleuse.app import accounts
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings, get_settings

pytestmark = [pytest.mark.postgres, pytest.mark.integration]


def make_pg_web_settings(data_dir: Path, records_url: str) -> Settings:
    return get_settings(
        data_dir=data_dir,
        store={"backend": "embedded"},
        records={"url": records_url},
        web=FAST_HASHING,
    )


@pytest.fixture
def web_settings(seeded_web_data: Path, tmp_path: Path) -> Iterator[Settings]:
    import shutil

    data_dir = tmp_path / "data"
    shutil.copytree(seeded_web_data, data_dir)
    for url in fresh_pg_database(pg_url_or_skip()):
        settings = make_pg_web_settings(data_dir, url)
        with Context(settings) as ctx:
            seed_test_territories(ctx)
            for email, role, territory, actor in USERS.values():
                accounts.create_user(
                    ctx, email, email.split("@")[0], role, PASSWORD, territory, actor
                )
        yield settings
