"""`mlopsctl db`: arguments and timestamps are checked before any playbook runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlopsctl.cli import main
from mlopsctl.db import parse_target, plan
from mlopsctl.errors import ConfigError

NOW = datetime(2026, 11, 23, 14, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23 13:45:00", "2026-11-23 13:45:00.000000+00:00"),
        ("2026-11-23T13:45:00Z", "2026-11-23 13:45:00.000000+00:00"),
        ("2026-11-23 14:45:00.25+01:00", "2026-11-23 13:45:00.250000+00:00"),
        ("2026-11-23T08:45:00-05:00", "2026-11-23 13:45:00.000000+00:00"),
        (" 2026-11-23 13:45:00.123456+00:00 ", "2026-11-23 13:45:00.123456+00:00"),
        ("2026-11-23", "2026-11-23 00:00:00.000000+00:00"),
    ],
)
def test_a_time_becomes_a_utc_recovery_target(text: str, expected: str) -> None:
    assert parse_target(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "is not a time"),
        ("2026-13-01 00:00:00", "is not a time"),
        ("23/11/2026 13:45", "is not a time"),
        ("", "is not a time"),
        ("2026-11-23 14:00:01", "is in the future"),
        ("2026-11-23 15:30:00+01:00", "is in the future"),
    ],
)
def test_a_bad_or_future_time_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_target(text, NOW)


def test_restore_to_a_time_passes_the_target_and_the_set_aside_suffix() -> None:
    run = plan("restore", to="2026-11-23 13:00:00+00:00", now=NOW)
    assert run.playbook == "playbooks/db-restore.yml"
    assert json.loads(run.args()[1]) == {
        "pgbackrest_restore_target": "2026-11-23 13:00:00.000000+00:00",
        "pgbackrest_restore_stamp": "20261123T140000Z",
        "pgbackrest_restore_remove_old": False,
    }


def test_restore_latest_and_remove_old() -> None:
    run = plan("restore", latest=True, remove_old=True, now=NOW)
    assert run.extra_vars["pgbackrest_restore_target"] == "latest"
    assert run.extra_vars["pgbackrest_restore_remove_old"] is True


def test_backup_defaults_to_full_and_takes_a_type() -> None:
    assert plan("backup").extra_vars == {"pgbackrest_backup_type": "full"}
    assert plan("backup", backup_type="diff").playbook == "playbooks/db-backup.yml"
    assert plan("backup", backup_type="incr").extra_vars == {"pgbackrest_backup_type": "incr"}


def test_verify_names_its_restore_point_by_the_time_it_was_asked() -> None:
    run = plan("verify", now=NOW)
    assert run.playbook == "playbooks/db-verify.yml"
    assert run.extra_vars == {"pgbackrest_verify_stamp": f"{NOW:%Y%m%dT%H%M%SZ}"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "restore"}, "either --to TIMESTAMP or --latest"),
        ({"action": "restore", "to": "2026-11-23 13:00:00", "latest": True}, "not both"),
        ({"action": "restore", "latest": True, "backup_type": "full"}, "--type belongs to"),
        ({"action": "backup", "latest": True}, "belong to `mlopsctl db restore`"),
        ({"action": "backup", "to": "2026-11-23"}, "belong to `mlopsctl db restore`"),
        ({"action": "backup", "backup_type": "weekly"}, "is not one of full, diff, incr"),
        ({"action": "vacuum"}, "unknown action"),
        ({"action": "verify", "latest": True}, "db verify takes no options"),
        ({"action": "verify", "backup_type": "full"}, "db verify takes no options"),
        ({"action": "verify", "to": "2026-11-23"}, "db verify takes no options"),
    ],
)
def test_wrong_combinations_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        plan(now=NOW, **kwargs)


def test_cli_refuses_a_bad_time_before_touching_the_inventory(tmp_path: Path, root: Path, capsys) -> None:
    missing = tmp_path / "none.yml"
    assert main(["--root", str(root), "db", "restore", "--to", "soon", "--inventory", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "is not a time" in err and "hosts up" not in err


def test_cli_backup_without_inventory_says_to_bring_hosts_up(tmp_path: Path, root: Path, capsys) -> None:
    assert main(["--root", str(root), "db", "backup", "--inventory", str(tmp_path / "none.yml")]) == 2
    assert "run `mlopsctl hosts up` first" in capsys.readouterr().err
