"""`mlopsctl screenshots --url`: it logs in to another platform's Airflow as that inventory's admin, read with the
real ansible-inventory (the pictures themselves are taken by the platform test, from a real Airflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mlopsctl.cli import main
from mlopsctl.errors import ConfigError
from mlopsctl.lab.screenshots import admin_user


def inventory(tmp_path: Path, airflow_vars: dict[str, Any], group: str = "airflow") -> Path:
    """An inventory like the checkout's: the repository's group_vars linked beside it, one host in `group`."""
    directory = tmp_path / "inv"
    directory.mkdir()
    (directory / "group_vars").symlink_to(ROOT / "group_vars")
    path = directory / "hosts.yml"
    hosts = {"air01": {"ansible_host": "127.0.0.1", **airflow_vars}}
    path.write_text(yaml.safe_dump({"all": {"children": {group: {"hosts": hosts}}}}))
    return path


def test_the_admin_is_the_inventorys_airflow_admin_user(tmp_path: Path) -> None:
    assert admin_user(ROOT, inventory(tmp_path, {"airflow_admin_user": "platform_admin"})) == "platform_admin"


def test_without_an_override_the_admin_is_group_vars_own(tmp_path: Path) -> None:
    group_vars = yaml.safe_load((ROOT / "group_vars/airflow.yml").read_text())
    assert admin_user(ROOT, inventory(tmp_path, {})) == group_vars["airflow_admin_user"]


@pytest.mark.parametrize(
    ("airflow_vars", "group", "words"),
    [
        ({"airflow_admin_user": "{{ lookup('env', 'ADMIN') }}"}, "airflow", "reads it as written"),
        ({"airflow_admin_user": ""}, "airflow", "set it as a plain name"),
        ({}, "db", "has no airflow host"),
    ],
)
def test_an_admin_that_cannot_be_read_is_refused(tmp_path: Path, airflow_vars: dict, group: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        admin_user(ROOT, inventory(tmp_path, airflow_vars, group))


def test_the_command_refuses_a_bad_admin_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = inventory(tmp_path, {"airflow_admin_user": "{{ admin }}"})
    (path.parent / ".secrets").mkdir()
    (path.parent / ".secrets/airflow_admin_password").write_text("pw\n")
    args = ["--root", str(ROOT), "screenshots", "--url", "https://127.0.0.1:9", "--inventory", str(path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "airflow_admin_user on air01 is '{{ admin }}'" in err and len(err.strip().splitlines()) == 1, err
