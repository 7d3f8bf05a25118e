"""Filters of the airflow role: its accounts, the deploy account, and the secrets a running Airflow host holds, read
back for the control node."""

from __future__ import annotations

import base64
import binascii
import configparser
import json
import os
import re
import stat
from typing import Any
from urllib.parse import unquote, urlsplit

from ansible.errors import AnsibleFilterError
from ansible_collections.datatech.mlops.plugins.module_utils import deploy_account
from ansible_collections.datatech.mlops.plugins.module_utils.airflow_accounts import (
    accounts,
    document,
    problems,
    simple_passwords,
)

_SEED = re.compile(r"^[A-Za-z0-9]{32}$")


def _fernet_seed(key: str) -> str | None:
    """The 32 letters and digits the platform's Fernet key was derived from (group_vars' mlops_airflow_fernet_key)."""
    try:
        seed = base64.urlsafe_b64decode(key.encode()).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return seed if _SEED.fullmatch(seed) else None


def airflow_secrets(
    cfg_text: str,
    connections_text: str = "",
    passwords_text: str = "",
    admin_user: str = "admin",
    dwh_conn_id: str = "postgres_dwh",
    accounts_text: str = "",
) -> dict[str, str]:
    """Secret name (as in the inventory's .secrets/) to the value the host runs with; absent when not found.

    Account passwords come from the simple auth manager's passwords file and the airflow role's accounts.json:
    the admin's is airflow_admin_password, every other account's airflow_password_<name>.
    """
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read_string(cfg_text or "")
    except configparser.Error as exc:
        raise AnsibleFilterError(f"airflow_secrets: airflow.cfg cannot be read: {exc}") from exc
    found: dict[str, str | None] = {
        "airflow_jwt_secret": cfg.get("api_auth", "jwt_secret", fallback=None),
        "airflow_api_secret_key": cfg.get("api", "secret_key", fallback=None),
        "airflow_fernet_seed": _fernet_seed(cfg.get("core", "fernet_key", fallback="")),
    }
    # airflow.cfg doubles % in the connection URL (configparser escaping); the password is URL-encoded in it.
    url = cfg.get("database", "sql_alchemy_conn", fallback="").replace("%%", "%")
    found["postgresql_airflow_password"] = unquote(urlsplit(url).password or "") or None
    # The CeleryExecutor's broker URL (rediss://:password@host:port/0), URL-encoded the same way.
    broker = cfg.get("celery", "broker_url", fallback="").replace("%%", "%")
    found["airflow_redis_password"] = unquote(urlsplit(broker).password or "") or None
    try:
        connections = json.loads(connections_text) if connections_text else {}
        passwords = json.loads(passwords_text) if passwords_text else {}
        accounts = json.loads(accounts_text) if accounts_text else {}
    except json.JSONDecodeError as exc:
        raise AnsibleFilterError(f"airflow_secrets: a JSON file on the host cannot be read: {exc}") from exc
    found["postgresql_dwh_password"] = connections.get(dwh_conn_id, {}).get("password")
    passwords.update({user["name"]: user.get("password") for user in accounts.get("users", []) if "name" in user})
    for name, password in passwords.items():
        found["airflow_admin_password" if name == admin_user else f"airflow_password_{name}"] = password
    return {name: value for name, value in found.items() if value}


# Secrets a running Airflow host may not use yet: the broker's password before the CeleryExecutor is turned on.
_USED_ONLY_WITH = {"airflow_redis_password": ("celery", "broker_url")}


def unrecovered_secrets(
    missing: list[str], in_use: dict[str, str], cfg_text: str, accounts_text: str = ""
) -> list[str]:
    """The missing secrets a running Airflow host uses but could not give back: generating those would break it.

    A secret the host does not use yet is safe to generate, so it is not among them: the broker's password on a
    LocalExecutor host being moved to Celery, or the password of an account the host's accounts.json (the airflow
    role's list of the accounts it made) does not have yet."""
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read_string(cfg_text or "")
    except configparser.Error as exc:
        raise AnsibleFilterError(f"airflow_unrecovered_secrets: airflow.cfg cannot be read: {exc}") from exc
    try:
        accounts = json.loads(accounts_text) if accounts_text else None
    except ValueError as exc:
        raise AnsibleFilterError(f"airflow_unrecovered_secrets: accounts.json cannot be read: {exc}") from exc
    made = (
        {f"airflow_password_{user.get('name')}" for user in accounts.get("users", []) if isinstance(user, dict)}
        if isinstance(accounts, dict)
        else None
    )
    return [
        name
        for name in missing
        if name not in in_use
        and (name not in _USED_ONLY_WITH or cfg.has_option(*_USED_ONLY_WITH[name]))
        and not (made is not None and name.startswith("airflow_password_") and name not in made)
    ]


def private_dir(path: str) -> bool:
    """Whether `path` is a directory on the control node only its owner may enter (mode 0700), read without a task."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "airflow_accounts": accounts,
            "airflow_account_problems": problems,
            "airflow_accounts_document": document,
            "airflow_simple_passwords": simple_passwords,
            "airflow_secrets": airflow_secrets,
            "airflow_unrecovered_secrets": unrecovered_secrets,
            "airflow_deploy_problems": deploy_account.problems,
            "private_dir": private_dir,
        }
