"""Backups and point-in-time restore on fresh local hosts (a PostgreSQL host and a backup host): the fault of a
destroyed data directory, restored to a time T with exactly the rows committed up to T. Minutes long:
`tools/run-tests.sh platform`. Prints its figures (rows, durations); nothing is asserted about time."""

from __future__ import annotations

import json
import re
import subprocess
import time
from typing import Any

import pytest
from conftest import PG_MAJOR, hosts_config
from test_platform_real import mlopsctl, playbook

from mlopsctl.lab.engine import Engine, detect_engine
from mlopsctl.lab.hosts import hosts_down, hosts_up

pytestmark = [pytest.mark.platform]

DB, BAK = "pitrdb01", "pitrbak01"
DATA_DIR = f"/var/lib/postgresql/{PG_MAJOR}/main"
# The platform's db play without Airflow hosts: no client networks to allow.
NO_CLIENTS = json.dumps({"postgresql_hba_entries": []})


@pytest.fixture(scope="module")
def pitr(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("pitr")
    cfg = hosts_config(base, "mlopspitr", "10.213.96.0/24", {DB: {"groups": ["db"]}, BAK: {"groups": ["backup"]}})
    engine = detect_engine("auto")
    inventory = base / "inventory/hosts.yml"
    hosts_up(engine, cfg, inventory, base / "logs")
    yield engine, inventory
    hosts_down(engine, cfg, inventory)


def sql(engine: Engine, query: str) -> str:
    cmd = engine.cmd("exec", DB, "runuser", "-u", "postgres", "--", "psql", "-d", "dwh", "-v", "ON_ERROR_STOP=1")
    return subprocess.run([*cmd, "-tAc", query], capture_output=True, text=True, check=True).stdout.strip()


def on_db(engine: Engine, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(engine.cmd("exec", DB, *argv), capture_output=True, text=True)


def write_rows(engine: Engine, first: int, last: int) -> None:
    sql(engine, f"INSERT INTO ledger (id, note) SELECT g, md5(g::text) FROM generate_series({first}, {last}) g")


def state(engine: Engine) -> tuple[int, str]:
    """Rows and a checksum of all of them, in id order."""
    row = sql(engine, "SELECT count(*), md5(coalesce(string_agg(note, ',' ORDER BY id), '')) FROM ledger")
    count, digest = row.split("|")
    return int(count), digest


def archived_past(engine: Engine) -> None:
    """Closes the current WAL segment and waits until the archiver has pushed it to the backup host."""
    segment = sql(engine, "SELECT pg_walfile_name(pg_switch_wal())")
    for _ in range(60):
        if sql(engine, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment:
            return
        time.sleep(1)
    raise AssertionError(f"WAL segment {segment} was not archived within 60 s")


def test_converge_archives_wal_takes_a_full_backup_and_a_second_run_or_check_changes_nothing(pitr) -> None:
    engine, inventory = pitr
    assert playbook(inventory, "playbooks/db.yml", "-e", NO_CLIENTS).returncode == 0
    done = playbook(inventory, "playbooks/backup.yml", "-e", NO_CLIENTS)
    assert done.returncode == 0
    assert sql(engine, "SHOW archive_mode") == "on"
    again = playbook(inventory, "playbooks/backup.yml", "-e", NO_CLIENTS)
    assert again.returncode == 0
    check = playbook(inventory, "playbooks/backup.yml", "--check", "--diff", "-e", NO_CLIENTS)
    assert check.returncode == 0
    for done in (again, check):
        recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", done.stdout, re.MULTILINE))
        assert recap == {DB: "0", BAK: "0"}, recap


def test_the_repository_is_encrypted_and_a_second_checkout_takes_its_passphrase_back(pitr) -> None:
    engine, inventory = pitr
    secret = inventory.parent / ".secrets/pgbackrest_repo_cipher_pass"
    in_use = secret.read_text()
    for name in ("backup/main/backup.info", "archive/main/archive.info"):
        head = subprocess.run(
            engine.cmd("exec", BAK, "head", "-c", "8", f"/var/lib/pgbackrest/{name}"), capture_output=True
        )
        assert head.stdout == b"Salted__", f"{name} is not encrypted: {head.stdout!r}"
    conf = on_db(engine, "cat", "/etc/pgbackrest/pgbackrest.conf").stdout
    assert "cipher" not in conf, "the database host never holds the passphrase"
    secret.unlink()  # a second checkout: the platform's .secrets/ without the passphrase
    again = playbook(inventory, "playbooks/backup.yml", "--check", "--diff", "-e", NO_CLIENTS)
    assert again.returncode == 0, again.stdout[-3000:]
    assert secret.read_text() == in_use, "the passphrase in use was read back from the backup host, not made anew"
    assert in_use.strip() not in again.stdout + again.stderr, "the passphrase reached the log"
    # The one change of the run is the control node's copy of the passphrase; nothing on the hosts.
    changed = [task.split("]", 1)[0] for task in again.stdout.split("TASK [")[1:] if "\nchanged: " in task]
    assert changed == ["The control node holds the passphrase in use instead of a new one"], changed
    secret.write_text("another-passphrase\n")
    refused = playbook(inventory, "playbooks/backup.yml", "-e", NO_CLIENTS)
    secret.write_text(in_use)
    assert refused.returncode != 0 and "every backup would become unreadable" in refused.stdout, refused.stdout[-3000:]
    assert "another-passphrase" not in refused.stdout + refused.stderr


def test_destroyed_data_directory_is_restored_to_t_with_exactly_the_rows_up_to_t(pitr, capsys) -> None:
    engine, inventory = pitr
    # No autovacuum on it: its commits would land after any T (the failed-restore test needs none after T).
    sql(engine, "CREATE TABLE ledger (id int PRIMARY KEY, note text NOT NULL) WITH (autovacuum_enabled = off)")
    write_rows(engine, 1, 1000)

    start = time.monotonic()
    assert mlopsctl("db", "backup", "--type", "full", "--inventory", str(inventory)).returncode == 0
    backup_s = time.monotonic() - start

    write_rows(engine, 1001, 1500)
    at_t = state(engine)
    t = sql(engine, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
    time.sleep(1)  # every later commit is strictly after T
    write_rows(engine, 1501, 2200)
    before_fault = state(engine)
    archived_past(engine)

    # The fault: the data directory is deleted under the running server. (Not `systemctl kill` first: on cgroup v1
    # hosts systemd inside a container can miss that the unit's processes are gone and wait an hour to stop it.)
    assert on_db(engine, "rm", "-rf", DATA_DIR).returncode == 0

    start = time.monotonic()
    done = mlopsctl("db", "restore", "--to", t, "--inventory", str(inventory))
    restore_s = time.monotonic() - start
    assert done.returncode == 0
    restored = state(engine)
    with capsys.disabled():
        print(
            f"\nPITR: {before_fault[0]} rows before the fault, {at_t[0]} committed up to T={t} UTC, "
            f"{restored[0]} after `mlopsctl db restore --to T`; full backup {backup_s:.1f}s, restore {restore_s:.1f}s"
        )
    assert restored == at_t
    assert sql(engine, "SELECT pg_is_in_recovery()") == "f"


def test_restore_before_the_first_backup_is_refused_and_changes_nothing(pitr) -> None:
    engine, inventory = pitr
    before = state(engine)
    done = mlopsctl("db", "restore", "--to", "2000-01-01 00:00:00", "--inventory", str(inventory))
    assert done.returncode != 0
    assert "before the earliest restorable time" in " ".join((done.stdout + done.stderr).split())
    assert state(engine) == before
    assert on_db(engine, "ls", f"/var/lib/postgresql/{PG_MAJOR}").stdout.split() == ["main"]


def test_restore_latest_keeps_the_live_data_directory_aside(pitr, capsys) -> None:
    engine, inventory = pitr
    write_rows(engine, 5001, 5010)
    expected = state(engine)
    archived_past(engine)
    start = time.monotonic()
    done = mlopsctl("db", "restore", "--latest", "--inventory", str(inventory))
    restore_s = time.monotonic() - start
    assert done.returncode == 0
    listed = on_db(engine, "ls", f"/var/lib/postgresql/{PG_MAJOR}").stdout.split()
    kept = [n for n in listed if n.startswith("main.before-")]
    with capsys.disabled():
        print(f"\nrestore --latest: {state(engine)[0]} rows (expected {expected[0]}) in {restore_s:.1f}s; kept {kept}")
    assert state(engine) == expected
    assert len(kept) == 1 and kept[0] in done.stdout
    assert on_db(engine, "test", "-f", f"/var/lib/postgresql/{PG_MAJOR}/{kept[0]}/PG_VERSION").returncode == 0


def test_a_restore_that_fails_puts_the_live_data_directory_back(pitr) -> None:
    engine, inventory = pitr
    write_rows(engine, 6001, 6010)
    expected = state(engine)
    archived_past(engine)
    time.sleep(2)
    # After the last archived commit and before now: no WAL reaches it, so PostgreSQL refuses to finish recovery.
    t = sql(
        engine, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC' - interval '1 second', 'YYYY-MM-DD HH24:MI:SS')"
    )
    before = on_db(engine, "ls", f"/var/lib/postgresql/{PG_MAJOR}").stdout.split()
    done = mlopsctl("db", "restore", "--to", t, "--inventory", str(inventory))
    assert done.returncode != 0
    output = " ".join((done.stdout + done.stderr).split())  # Ansible wraps long messages
    assert "The previous data directory is back in place and PostgreSQL runs from it" in output
    assert state(engine) == expected
    assert on_db(engine, "ls", f"/var/lib/postgresql/{PG_MAJOR}").stdout.split() == before


def on_bak(engine: Engine, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(engine.cmd("exec", BAK, *argv), capture_output=True, text=True)


def live_counts(engine: Engine) -> dict[str, int]:
    """Every permanent table of dwh and its exact row count, read here independently of the drill's query."""
    tables = sql(
        engine,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    ).split()
    return {t: int(sql(engine, f"SELECT count(*) FROM {t}")) for t in tables}


def test_the_restore_drill_restores_the_latest_backup_on_the_backup_host_with_exactly_the_live_rows(
    pitr, capsys
) -> None:
    engine, inventory = pitr
    # A second schema, and rows written after the last backup: the drill replays the archived WAL, not just a backup.
    sql(engine, "CREATE SCHEMA drill; CREATE TABLE drill.runs AS SELECT g AS id FROM generate_series(1, 321) g")
    write_rows(engine, 7001, 7100)
    live = live_counts(engine)
    start = time.monotonic()
    done = mlopsctl("db", "verify", "--inventory", str(inventory))
    drill_s = time.monotonic() - start
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 0, output[-3000:]
    reported = re.search(r"Restore drill passed: .*? (\d+) table\(s\) of dwh with (\d+) row\(s\)", output)
    assert reported, output[-3000:]
    with capsys.disabled():
        print(
            f"\nrestore drill: {reported[1]} tables, {reported[2]} rows (live: {len(live)}, {sum(live.values())}) "
            f"in {drill_s:.1f}s"
        )
    assert (int(reported[1]), int(reported[2])) == (len(live), sum(live.values())) and live["drill.runs"] == 321
    # Nothing but its lock and last result is left on the backup host; the result names the restore point.
    assert sorted(on_bak(engine, "ls", "-A", "/var/lib/pgbackrest-verify").stdout.split()) == [
        ".drill.lock",
        "last.json",
    ]
    last = drill_result(engine)
    assert last["ok"] and last["target"].startswith("mlops-verify-") and last["tables"] == live, last
    # The weekly timer's drill, started now: the repository checked, the latest backup to the end of the archive.
    assert on_bak(engine, "systemctl", "is-enabled", "pgbackrest-drill.timer").stdout.strip() == "enabled"
    timer_run = on_bak(engine, "systemctl", "start", "pgbackrest-drill.service")
    assert timer_run.returncode == 0, timer_run.stderr + journal(engine)
    last = drill_result(engine)
    assert last["ok"] and last["target"] == "latest" and last["tables"] == live, last
    with capsys.disabled():
        print(f"restore drill by its timer: {len(last['tables'])} tables, {last['rows']} rows in {last['seconds']}s")
    # No copy runs, no cluster is left, and the live tables take writes again (the drill's locks are gone).
    assert on_bak(engine, "pgrep", "-u", "pgbackrest", "-x", "postgres").returncode != 0
    assert on_bak(engine, "pg_lsclusters", "--no-header").stdout.strip() == ""
    write_rows(engine, 7101, 7110)


def drill_result(engine: Engine) -> dict[str, Any]:
    return json.loads(on_bak(engine, "cat", "/var/lib/pgbackrest-verify/last.json").stdout)


def journal(engine: Engine) -> str:
    return on_bak(engine, "journalctl", "-u", "pgbackrest-drill.service", "-n", "30", "--no-pager").stdout


def test_the_restore_drill_fails_on_a_damaged_repository_and_says_so(pitr) -> None:
    engine, inventory = pitr
    # The largest data file of a backup (in pg_data/ or a bundle): what verify checks against the manifest.
    largest = (
        "find /var/lib/pgbackrest/backup/main -type f \\( -path '*/pg_data/*' -o -path '*/bundle/*' \\)"
        " -printf '%s %p\\n' | sort -n | tail -n 1"
    )
    found = on_bak(engine, "sh", "-c", largest)
    assert found.stdout.split(), found.stdout + found.stderr
    damaged = found.stdout.split()[-1]
    assert on_bak(engine, "cp", "-p", damaged, "/root/undamaged").returncode == 0
    try:
        flip = f"printf 'damage' | dd of={damaged} bs=1 seek=64 conv=notrunc status=none"
        assert on_bak(engine, "sh", "-c", flip).returncode == 0
        done = mlopsctl("db", "verify", "--inventory", str(inventory))
        output = " ".join((done.stdout + done.stderr).split())
        assert done.returncode != 0
        assert "pgbackrest verify found the repository on pitrbak01 damaged" in output, output[-3000:]
        assert "Traceback" not in output
        # The timer's drill refuses it too, and its last result (what the monitoring reads) says why.
        assert on_bak(engine, "systemctl", "start", "pgbackrest-drill.service").returncode != 0
        last = drill_result(engine)
        assert not last["ok"] and "pgbackrest verify found the repository damaged" in last["error"], last
        assert sorted(on_bak(engine, "ls", "-A", "/var/lib/pgbackrest-verify").stdout.split()) == [
            ".drill.lock",
            "last.json",
        ]
    finally:
        assert on_bak(engine, "cp", "-p", "/root/undamaged", damaged).returncode == 0
