"""airflow_secrets reads back what a converged Airflow host runs with, as the platform wrote it."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template("{{ " + expression + " }}"))


# group_vars/all.yml's derivation of the Fernet key from its stored seed.
FERNET_FROM_SEED = "seed | b64encode | replace('+', '-') | replace('/', '_')"
SEED = "Zq9XbT3kLmN8pQrS2uVwY4aC6eG0iJ1h"


def cfg(password_in_url: str, fernet_key: str) -> str:
    return (
        "[api]\nsecret_key = api-key-48\n\n[api_auth]\njwt_secret = jwt-48\n\n"
        f"[core]\nfernet_key = {fernet_key}\n\n"
        f"[database]\nsql_alchemy_conn = postgresql+psycopg2://airflow:{password_in_url}@10.0.0.5:5432/airflow"
        "?sslmode=verify-full&sslrootcert=/etc/airflow/postgresql-ca.crt\n"
    )


def test_every_secret_comes_back_from_the_files_the_role_writes():
    key = render(FERNET_FROM_SEED, seed=SEED)
    # The role URL-encodes the password and doubles % for configparser.
    password = "p@ss/w0rd%x"
    in_url = render("pw | urlencode | replace('/', '%2F') | replace('%', '%%')", pw=password)
    found = render(
        "cfg | datatech.mlops.airflow_secrets(conns, pws, 'admin')",
        cfg=cfg(in_url, key),
        conns=json.dumps({"postgres_dwh": {"conn_type": "postgres", "password": "dwh-secret"}}),
        pws=json.dumps({"admin": "admin-secret"}),
    )
    assert found == {
        "airflow_jwt_secret": "jwt-48",
        "airflow_api_secret_key": "api-key-48",
        "airflow_fernet_seed": SEED,
        "postgresql_airflow_password": password,
        "postgresql_dwh_password": "dwh-secret",
        "airflow_admin_password": "admin-secret",
    }


def test_a_fernet_key_not_made_from_a_seed_is_not_guessed():
    found = render("cfg | datatech.mlops.airflow_secrets", cfg=cfg("pw", "not-a-platform-key="))
    assert "airflow_fernet_seed" not in found
    assert found["postgresql_airflow_password"] == "pw"


def test_a_host_without_airflow_gives_nothing():
    assert render("'' | datatech.mlops.airflow_secrets") == {}


def test_a_broken_connections_file_is_an_error_that_says_so():
    with pytest.raises(AnsibleError, match="JSON file on the host"):
        render("cfg | datatech.mlops.airflow_secrets('{broken')", cfg=cfg("pw", "x"))


def test_fab_account_passwords_come_back_from_the_accounts_file_under_their_secret_names():
    accounts = {
        "roles": {"Deployer": {"DAGs": ["can_read"]}},
        "users": [
            {"name": "admin", "role": "Admin", "password": "admin-secret"},
            {"name": "deployer", "role": "Deployer", "password": "deploy-secret"},
            {"name": "ann", "role": "Viewer", "password": "ann-secret"},
        ],
    }
    found = render(
        "cfg | datatech.mlops.airflow_secrets('', '', 'admin', 'postgres_dwh', accounts)",
        cfg=cfg("pw", "x"),
        accounts=json.dumps(accounts),
    )
    assert found["airflow_admin_password"] == "admin-secret"
    assert found["airflow_password_deployer"] == "deploy-secret"
    assert found["airflow_password_ann"] == "ann-secret"


def test_private_dir_is_only_a_directory_its_owner_alone_may_enter(tmp_path):
    secrets = tmp_path / "secrets"
    assert render("path | datatech.mlops.private_dir", path=str(secrets)) is False  # missing
    secrets.mkdir(mode=0o700)
    secrets.chmod(0o700)
    assert render("path | datatech.mlops.private_dir", path=str(secrets)) is True
    secrets.chmod(0o755)
    assert render("path | datatech.mlops.private_dir", path=str(secrets)) is False
    (tmp_path / "file").write_text("x")
    (tmp_path / "file").chmod(0o700)
    assert render("path | datatech.mlops.private_dir", path=str(tmp_path / "file")) is False


def test_a_running_host_is_protected_from_new_values_of_what_it_uses_but_not_of_what_it_does_not_use_yet():
    local = cfg("pw", "not-a-platform-key=")
    missing = ["airflow_jwt_secret", "airflow_fernet_seed", "airflow_redis_password"]
    in_use = {"airflow_jwt_secret": "jwt-48"}
    expression = "missing | datatech.mlops.airflow_unrecovered_secrets(in_use, cfg)"
    # A LocalExecutor host has no broker: the password of the broker it is being moved to may be made anew.
    assert render(expression, missing=missing, in_use=in_use, cfg=local) == ["airflow_fernet_seed"]
    # A Celery host whose broker password cannot be read back must not get a new one.
    celery = local + "\n[celery]\nbroker_url = rediss://10.0.0.11:6379/0\n"
    assert render(expression, missing=missing, in_use=in_use, cfg=celery) == [
        "airflow_fernet_seed",
        "airflow_redis_password",
    ]
    with pytest.raises(AnsibleError, match=r"airflow\.cfg cannot be read"):
        render(expression, missing=missing, in_use=in_use, cfg="no section header")


def test_an_account_the_running_host_has_not_made_yet_may_get_a_new_password():
    local = cfg("pw", "not-a-platform-key=")
    missing = ["airflow_password_monitoring", "airflow_password_anna"]
    expression = "missing | datatech.mlops.airflow_unrecovered_secrets({}, cfg, accounts)"
    # accounts.json lists anna (whose password could not be read back): hers is refused, the new account's is not.
    made = json.dumps({"users": [{"name": "anna"}, "junk"]})
    assert render(expression, missing=missing, cfg=local, accounts=made) == ["airflow_password_anna"]
    # Without accounts.json nothing says which accounts exist: every one is protected.
    assert render(expression, missing=missing, cfg=local, accounts="") == missing
    with pytest.raises(AnsibleError, match=r"accounts\.json cannot be read"):
        render(expression, missing=missing, cfg=local, accounts="{not json")
