"""The one table of the platform's secrets: group_vars make every secret through it, Ansible's lookup and mlopsctl
read the same lengths and derivation, and what it says the Airflow host keeps is what a second checkout reads back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from mlopsctl import secret_table

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def group_vars_text() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "group_vars").glob("*.yml")))


def test_group_vars_make_every_secret_through_the_table() -> None:
    text = group_vars_text()
    assert "ansible.builtin.password" not in text
    names = re.findall(r"lookup\('platform_secret',\s+'([a-z0-9_]+)'( ~ [a-z_.]+ ~ '[a-z_]*'| ~ [a-z_.]+)?", text)
    assert len(names) >= 11
    for head, account in names:
        if account:
            # A per-account secret: the name the lookup is called with, for an account "x".
            tail = account.rpartition("'")[0].rpartition("'")[2] if account.endswith("'") else ""
            secret_table.find(f"{head}x{tail}")
        else:
            secret_table.find(head)
    # Each entry of the table is made somewhere (its variable is set by group_vars).
    for secret in secret_table.SECRETS:
        assert re.search(rf"^{secret.variable}:", text, re.MULTILINE), secret.variable


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="is not a platform secret; known: postgresql_airflow_password"):
        secret_table.find("root_password")
    assert secret_table.find("airflow_password_ann").length == 24
    assert secret_table.find("postgresql_ml_bob_password").kept_on == "nowhere"


def test_the_lookup_makes_each_secret_once_with_the_tables_length_and_derivation(tmp_path: Path) -> None:
    secrets_dir = tmp_path / ".secrets"
    secrets_dir.mkdir(mode=0o700)
    play = tmp_path / "play.yml"
    names = ["airflow_jwt_secret", "airflow_fernet_seed", "airflow_password_ann", "pgbackrest_repo_cipher_pass"]
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.copy:\n"
        f"        dest: {tmp_path}/out.json\n"
        f"        content: \"{{{{ {{'values': query('platform_secret', *{names}, dir='{secrets_dir}'),"
        " 'kept': query('platform_secret', kept_on=['airflow'], accounts=['deployer', 'ann']),"
        " 'celery': query('platform_secret', kept_on=['airflow'], features=['celery'])} | to_json }}\"\n"
    )
    # The builtin strategy: Mitogen's local connection would look for another interpreter.
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STRATEGY": "linear"}
    python = f"ansible_python_interpreter={sys.executable}"
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", python, str(play)]
    for _ in range(2):
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        out = json.loads((tmp_path / "out.json").read_text())
        files = {name: (secrets_dir / name).read_text().strip() for name in names}
        assert [len(files[n]) for n in names] == [secret_table.find(n).length for n in names] == [48, 32, 24, 64]
        assert all(v.isalnum() for v in files.values())
        assert all((secrets_dir / n).stat().st_mode & 0o077 == 0 for n in names)
        jwt, fernet, ann, cipher = out["values"]
        assert (jwt, ann, cipher) == (files["airflow_jwt_secret"], files["airflow_password_ann"], files[names[3]])
        assert fernet == secret_table.fernet_key(files["airflow_fernet_seed"])
        Fernet(fernet)  # a key Airflow accepts
        first = files
    assert files == first
    assert out["kept"] == [
        "postgresql_airflow_password",
        "postgresql_dwh_password",
        "airflow_admin_password",
        "airflow_password_deployer",
        "airflow_password_ann",
        "airflow_jwt_secret",
        "airflow_api_secret_key",
        "airflow_fernet_seed",
    ]
    # The broker's password exists only on a CeleryExecutor platform, so only there is it read back.
    assert "airflow_redis_password" in out["celery"]


def test_what_the_table_says_the_airflow_host_keeps_is_what_is_read_back_from_it() -> None:
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.datatech.mlops.plugins.filter.airflow import airflow_secrets

    seed = "s" * 32
    cfg = (
        "[api_auth]\njwt_secret = j\n[api]\nsecret_key = k\n"
        f"[core]\nfernet_key = {secret_table.fernet_key(seed)}\n"
        "[database]\nsql_alchemy_conn = postgresql+psycopg2://airflow:pw@db/airflow\n"
        "[celery]\nbroker_url = rediss://:r@10.0.0.11:6379/0\n"
    )
    connections = json.dumps({"postgres_dwh": {"password": "d"}})
    accounts = json.dumps({"users": [{"name": "admin", "password": "a"}, {"name": "ann", "password": "n"}]})
    found = airflow_secrets(cfg, connections, "", "admin", "postgres_dwh", accounts)
    kept = {s.name.replace("{name}", "ann") for s in secret_table.SECRETS if s.kept_on == "airflow"}
    assert set(found) == kept
    assert found["airflow_fernet_seed"] == seed


def test_rotation_names_the_files_of_the_table() -> None:
    rotatable = secret_table.rotatable()
    assert rotatable["airflow_fernet_key"] == "airflow_fernet_seed"
    assert rotatable["airflow_password_deployer"] == "airflow_password_deployer"
    assert "pgbackrest_repo_cipher_pass" not in rotatable.values()
    for file in rotatable.values():
        secret_table.find(file)


def test_a_secret_tied_to_an_unknown_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="only_with='kafka' is not one of celery"):
        secret_table.Secret("x", 8, "airflow", "x", "x", only_with="kafka")
