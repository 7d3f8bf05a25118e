"""`mlopsctl secrets rotate`: what is written, in which order the platform converges, and what a failure says."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mlopsctl import secret_table, secrets
from mlopsctl.errors import CommandError, ConfigError


def secrets_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / ".secrets"
    directory.mkdir()
    for name, value in files.items():
        (directory / name).write_text(value + "\n")
    return directory


def test_a_password_is_replaced_the_old_one_kept_and_the_platform_converged(tmp_path: Path) -> None:
    directory = secrets_dir(tmp_path, postgresql_dwh_password="old-password")
    runs: list[tuple[str, list[str]]] = []
    previous = secrets.rotate(directory, "postgresql_dwh_password", lambda p, e: runs.append((p, e)), ["-v"])
    new = (directory / "postgresql_dwh_password").read_text().strip()
    assert len(new) == 32 and new.isalnum() and new != "old-password"
    assert previous.read_text().strip() == "old-password" and previous.stat().st_mode & 0o777 == 0o600
    assert runs == [("site.yml", ["-v"])]


def test_the_fernet_key_goes_through_airflows_two_key_procedure(tmp_path: Path) -> None:
    old_seed = "A" * 32
    directory = secrets_dir(tmp_path, airflow_fernet_seed=old_seed)
    runs: list[tuple[str, list[str], str]] = []

    def run(playbook: str, extra: list[str]) -> None:
        runs.append((playbook, extra, (directory / "airflow_fernet_seed").read_text().strip()))

    secrets.rotate(directory, "airflow_fernet_key", run, [])
    new_seed = (directory / "airflow_fernet_seed").read_text().strip()
    both = f"{secret_table.fernet_key(new_seed)},{secret_table.fernet_key(old_seed)}"
    # new,old while re-encrypting (the old seed still on file), then the new key alone.
    assert [(p, e, seed) for p, e, seed in runs] == [
        ("playbooks/airflow.yml", ["-e", f'{{"airflow_fernet_key": "{both}"}}'], old_seed),
        ("playbooks/rotate-fernet-key.yml", ["-e", f'{{"airflow_fernet_key": "{both}"}}'], old_seed),
        ("site.yml", [], new_seed),
    ]
    assert len(base64.urlsafe_b64decode(secret_table.fernet_key(new_seed))) == 32


def test_an_unknown_or_never_made_secret_is_refused_before_anything_runs(tmp_path: Path) -> None:
    directory = secrets_dir(tmp_path)
    with pytest.raises(ConfigError, match="unknown secret 'root_password'"):
        secrets.rotate(directory, "root_password", lambda p, e: None, [])
    with pytest.raises(CommandError, match="a secret that was never made has nothing to rotate"):
        secrets.rotate(directory, "airflow_jwt_secret", lambda p, e: None, [])
    assert list(directory.iterdir()) == []


def test_a_failed_converge_says_where_both_values_are_and_what_to_run(tmp_path: Path) -> None:
    directory = secrets_dir(tmp_path, airflow_jwt_secret="j" * 48)

    def fail(playbook: str, extra: list[str]) -> None:
        raise CommandError("site.yml failed (exit 2).")

    with pytest.raises(CommandError, match=r"airflow_jwt_secret.previous\); run `mlopsctl converge` again"):
        secrets.rotate(directory, "airflow_jwt_secret", fail, [])


def test_a_second_rotation_never_overwrites_the_value_an_unfinished_one_kept(tmp_path: Path) -> None:
    directory = secrets_dir(tmp_path, airflow_jwt_secret="A" * 48)

    def fail(playbook: str, extra: list[str]) -> None:
        raise CommandError("site.yml failed (exit 2).")

    with pytest.raises(CommandError):
        secrets.rotate(directory, "airflow_jwt_secret", fail, [])
    second = (directory / "airflow_jwt_secret").read_text()
    runs: list[str] = []
    with pytest.raises(CommandError, match="an earlier rotation of airflow_jwt_secret was not confirmed"):
        secrets.rotate(directory, "airflow_jwt_secret", lambda p, e: runs.append(p), [])
    assert runs == []
    assert (directory / "airflow_jwt_secret.previous").read_text() == "A" * 48 + "\n"
    assert (directory / "airflow_jwt_secret").read_text() == second
