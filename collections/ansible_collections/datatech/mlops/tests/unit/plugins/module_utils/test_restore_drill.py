"""restore_drill: what the drill's scratch copy is given and what its answers mean."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils import restore_drill as rd

SETTINGS = {
    "stanza": "main",
    "pg_bin": "/usr/lib/postgresql/15/bin",
    "path": "/var/lib/pgbackrest-verify",
    "database": "dwh",
    "count_query": "SELECT 1",
    "result": "/var/lib/pgbackrest-verify/last.json",
    "timeout": 600,
}


def test_complete_settings_pass_and_each_gap_is_named() -> None:
    assert rd.settings_problems(SETTINGS) == []
    assert rd.settings_problems({**SETTINGS, "database": "", "timeout": True}) == [
        "database must be a non-empty string",
        "timeout must be a positive number of seconds",
    ]
    assert len(rd.settings_problems({})) == 7


@pytest.mark.parametrize(
    ("stamp", "name", "problems"),
    [
        ("20261204T080000Z", "", 0),
        ("20261204T080000Z", "mlops-verify-20261204T080000Z", 0),
        ("../etc", "", 1),
        ("20261204T080000Z", "x'; DROP", 1),
        ("now", "latest", 2),
    ],
)
def test_stamps_and_restore_points_are_what_the_drill_makes(stamp: str, name: str, problems: int) -> None:
    assert len(rd.run_problems(stamp, name)) == problems


def test_the_restore_goes_to_the_named_point_or_to_the_end_of_the_archive() -> None:
    named = rd.restore_argv("main", "/s/x", "/s/x.spool", "mlops-verify-20261204T080000Z")
    assert named[:3] == ["pgbackrest", "--stanza=main", "--reset-pg1-host"]
    assert "--pg1-path=/s/x" in named and "--spool-path=/s/x.spool" in named
    assert named[-4:] == ["--type=name", "--target=mlops-verify-20261204T080000Z", "--target-action=promote", "restore"]
    latest = rd.restore_argv("main", "/s/x", "/s/x.spool", "")
    assert latest[-1] == "restore" and not any(arg.startswith("--type") for arg in latest)


def test_the_copy_is_private_read_only_and_unarchived() -> None:
    files = rd.copy_files("main", "/s/x", "mlops-verify-20261204T080000Z")
    auto = files["postgresql.auto.conf"].splitlines()
    assert "listen_addresses = ''" in auto and "unix_socket_directories = '/s/x'" in auto
    assert {"archive_mode = off", "hot_standby = off", "default_transaction_read_only = on"} <= set(auto)
    assert "shared_preload_libraries = ''" in auto
    assert "restore_command = 'pgbackrest --stanza=main --reset-pg1-host --pg1-path=/s/x archive-get %f \"%p\"'" in auto
    assert "recovery_target_name = 'mlops-verify-20261204T080000Z'" in auto
    assert files["pg_hba.conf"] == "local all all trust\n"
    assert not any(
        line.startswith("recovery_target")
        for line in rd.copy_files("main", "/s/x", "")["postgresql.auto.conf"].splitlines()
    )


def test_psqls_counts_are_read_and_anything_else_refused() -> None:
    assert rd.parse_counts('ml.runs\t3\npublic."odd\tname"\t0\n\n') == {"ml.runs": 3, 'public."odd\tname"': 0}
    assert rd.parse_counts("") == {}
    with pytest.raises(ValueError, match="unexpected line"):
        rd.parse_counts("ERROR: relation does not exist")
    with pytest.raises(ValueError, match="unexpected line"):
        rd.parse_counts("ml.runs\tmany")


def test_only_the_last_fault_lines_are_reported() -> None:
    lines = ["LOG: starting", *(f"FATAL: {n}" for n in range(10)), "LOG: done"]
    assert rd.faults(lines) == [f"FATAL: {n}" for n in range(4, 10)]


def test_the_report_is_ok_only_with_counts_and_no_error() -> None:
    good = rd.result("20261204T080000Z", "", 10.0, 42.25, {"b": 2, "a": 1}, "", [])
    assert good["ok"] and good["target"] == "latest" and good["rows"] == 3 and good["seconds"] == 32.2
    assert list(good["tables"]) == ["a", "b"] and good["error"] == ""
    bad = rd.result("20261204T080000Z", "p", 10.0, 11.0, None, "pgbackrest restore failed: x", ["FATAL: y"])
    assert not bad["ok"] and bad["error"] == "pgbackrest restore failed: x" and bad["log"] == ["FATAL: y"]
    assert rd.result("20261204T080000Z", "", 1.0, 2.0, None, "", [])["error"] == "the copy's row counts were not read"


def test_a_trailing_line_break_is_not_part_of_a_stamp() -> None:
    assert rd.run_problems("20261204T080000Z\n", "mlops-verify-20261204T080000Z\n") == [
        "the stamp '20261204T080000Z\\n' is not YYYYMMDDTHHMMSSZ",
        "the restore point 'mlops-verify-20261204T080000Z\\n' is not mlops-verify-YYYYMMDDTHHMMSSZ",
    ]
