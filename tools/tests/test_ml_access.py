"""`mlopsctl access NAME`: an ML user's connection details, read from a real inventory with ansible-inventory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from mlopsctl.cli import main
from mlopsctl.errors import ConfigError
from mlopsctl.ml_access import access, password_file

HOSTVARS = {
    "mlops_ml_users": [
        {"name": "anna", "team": "vision"},
        {"name": "old", "state": "absent"},
        {"name": "vault_user", "password": "x" * 20},
    ],
    "mlops_private_ip": "10.213.7.10",
    "mlops_ml_client_cidrs": ["10.8.0.0/24"],
}


def inventory(tmp_path: Path, host_vars: dict) -> Path:
    """An inventory like the local one: the checkout's group_vars linked beside it, one db host."""
    directory = tmp_path / "inv"
    (directory / ".secrets/ca").mkdir(parents=True)
    (directory / "group_vars").symlink_to(ROOT / "group_vars")
    path = directory / "hosts.yml"
    hosts = {"db01": {"ansible_host": "127.0.0.1", **host_vars}}
    children = {"db": {"hosts": hosts}, "airflow": {"hosts": {"air01": {}}}}
    path.write_text(yaml.safe_dump({"all": {"children": children}}))
    return path


def test_the_details_name_the_ca_the_schemas_and_where_the_password_is_but_not_the_password(tmp_path, capsys):
    path = inventory(tmp_path, HOSTVARS)
    password_file(path.parent / ".secrets", "anna").write_text("Secret123Secret123\n")
    assert main(["--root", str(ROOT), "access", "anna", "--inventory", str(path)]) == 0
    out = capsys.readouterr().out
    ca = path.parent / ".secrets/ca/ca.crt"
    assert "Secret123" not in out
    assert f'psql "host=10.213.7.10 port=5432 dbname=dwh user=anna sslmode=verify-full sslrootcert={ca}"' in out
    assert "reads:     schema ml (what the DAGs write)" in out
    assert "writes:    schema anna, team_vision" in out
    assert "from:      10.8.0.0/24 only" in out
    assert f"first password in {path.parent / '.secrets/postgresql_ml_anna_password'}" in out


def test_the_password_is_printed_only_when_asked(tmp_path, capsys):
    path = inventory(tmp_path, HOSTVARS)
    password_file(path.parent / ".secrets", "anna").write_text("Secret123Secret123\n")
    assert main(["--root", str(ROOT), "access", "anna", "--inventory", str(path), "--show-password"]) == 0
    assert "             Secret123Secret123\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bob", "'bob' has no account in mlops_ml_users of db01 (accounts: anna, old, vault_user)"),
        ("old", "old's account is retired"),
        ("anna", "postgresql_ml_anna_password does not exist yet: run `mlopsctl converge`"),
    ],
)
def test_an_account_that_cannot_connect_is_one_clear_line(tmp_path, capsys, name, words):
    path = inventory(tmp_path, HOSTVARS)
    assert main(["--root", str(ROOT), "access", name, "--inventory", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_inventory_without_a_db_host_or_file_is_refused(tmp_path, capsys):
    assert main(["--root", str(ROOT), "access", "anna", "--inventory", str(tmp_path / "none.yml")]) == 2
    assert "does not exist: run `mlopsctl up`" in capsys.readouterr().err
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {"x": {}}}}))
    assert main(["--root", str(ROOT), "access", "anna", "--inventory", str(path)]) == 2
    assert "has no db host" in capsys.readouterr().err


def test_a_password_kept_in_vault_is_never_read_from_the_secrets_directory(tmp_path):
    found = access("vault_user", "db01", HOSTVARS, tmp_path, show_password=True)
    assert found.password is None and "set in mlops_ml_users" in found.password_source


def test_templated_settings_are_refused_rather_than_printed_as_jinja():
    with pytest.raises(ConfigError, match="mlops_ml_users on the db host is"):
        access("anna", "db01", {"mlops_ml_users": "{{ vault_ml_users }}"}, Path("/nonexistent"))


def test_the_password_file_is_the_one_group_vars_generates():
    text = (ROOT / "group_vars/db.yml").read_text()
    call = r"lookup\('platform_secret',\s+'postgresql_ml_' ~ user.name ~ '_password', dir=mlops_secrets_dir\)"
    assert re.search(call, text)
    assert password_file(Path("/s"), "anna") == Path("/s/postgresql_ml_anna_password")
