"""A line break in a pg_hba field, on a real PostgreSQL server: what an unchecked template would have given it (a
trust line for the whole internet, loaded without an error), and that module_utils/pg_hba refuses the entry."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from conftest import COLLECTION, psql

spec = importlib.util.spec_from_file_location("pg_hba", COLLECTION / "plugins/module_utils/pg_hba.py")
pg_hba = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pg_hba)

# `host`: the throwaway server runs without TLS, where a hostssl line loads with an error (on db01 it loads clean).
CRAFTED = {
    "type": "host",
    "database": "all all 0.0.0.0/0 trust\nhost dwh",
    "user": "dwh",
    "address": ["10.0.0.11/32"],
    "method": "scram-sha-256",
}


def unchecked_line(entry: dict) -> str:
    """What the template wrote before the fields were checked: the fields joined as they came."""
    return "  ".join([entry["type"], entry["database"], entry["user"], entry["address"][0], entry["method"]])


def test_a_line_break_in_a_database_name_is_a_trust_line_for_the_internet_and_is_refused(local_postgres: str) -> None:
    data = Path(local_postgres.split()[0].removeprefix("host=")) / "data"
    hba = data / "pg_hba.conf"
    kept = hba.read_text()
    try:
        hba.write_text(kept + unchecked_line(CRAFTED) + "\n")
        shutil.chown(hba, "postgres", "postgres")
        rules = psql(
            local_postgres,
            "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' AND address = '0.0.0.0' "
            "AND netmask = '0.0.0.0' AND error IS NULL",
        )
        assert rules == "1", "PostgreSQL loads the injected line as a valid trust rule"
    finally:
        hba.write_text(kept)
    found = pg_hba.problems([CRAFTED])
    assert any("database 'all all 0.0.0.0/0 trust\\nhost dwh'" in line for line in found), found
    with pytest.raises(ValueError):
        pg_hba.lines([CRAFTED])
