"""Connection details of an ML user's personal warehouse account (`mlopsctl access NAME`), read from the inventory
the platform was deployed with: the first db host's variables as Ansible sees them (group_vars, host variables)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.files import read_text_file
from mlopsctl.playbook import ansible_tool

TEAM_PREFIX = "team_"


def password_file(secrets_dir: Path, name: str) -> Path:
    """Where group_vars/db.yml's mlops_ml_db_passwords keeps an account's generated first password."""
    return secrets_dir / f"postgresql_ml_{name}_password"


@dataclass(frozen=True)
class Access:
    """What one person needs to connect: where, as whom, with which CA, and what they may do there."""

    name: str
    db_host: str
    address: str
    port: int
    database: str
    ca_file: Path
    password_source: str
    password: str | None
    read_schemas: tuple[str, ...]
    write_schemas: tuple[str, ...]
    client_cidrs: tuple[str, ...]

    @property
    def libpq(self) -> str:
        return (
            f"host={self.address} port={self.port} dbname={self.database} user={self.name} sslmode=verify-full "
            f"sslrootcert={self.ca_file}"
        )

    @property
    def url(self) -> str:
        return (
            f"postgresql://{self.name}@{self.address}:{self.port}/{self.database}"
            f"?sslmode=verify-full&sslrootcert={quote(str(self.ca_file))}"
        )


def db_host_vars(root: Path, inventory: Path) -> tuple[str, dict[str, Any]]:
    """The first db host of the inventory and its variables (untemplated), from ansible-inventory."""
    if not inventory.is_file():
        raise ConfigError(f"inventory {inventory} does not exist: run `mlopsctl up` (or pass --inventory)")
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg")}
    done = subprocess.run(
        [ansible_tool("ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CommandError(f"ansible-inventory could not read {inventory}: {last}")
    listing = json.loads(done.stdout)
    hosts = listing.get("db", {}).get("hosts", [])
    if not hosts:
        raise ConfigError(f"inventory {inventory} has no db host: the warehouse runs on the first host of group db")
    return hosts[0], listing.get("_meta", {}).get("hostvars", {}).get(hosts[0], {})


def _plain(hostvars: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = hostvars.get(key, default)
    if not isinstance(value, kind) or (isinstance(value, str) and "{{" in value):
        raise ConfigError(
            f"{key} on the db host is {value!r}: `mlopsctl access` reads it as written, so set it as a plain "
            f"{kind.__name__} in group_vars or the inventory"
        )
    return value


def access(name: str, db_host: str, hostvars: dict[str, Any], secrets_dir: Path, show_password: bool = False) -> Access:
    """One person's connection details; ConfigError when the inventory has no such active account."""
    users = _plain(hostvars, "mlops_ml_users", list, [])
    found = [user for user in users if isinstance(user, dict) and user.get("name") == name]
    if not found:
        known = ", ".join(str(user.get("name")) for user in users if isinstance(user, dict)) or "none"
        raise ConfigError(
            f"{name!r} has no account in mlops_ml_users of {db_host} (accounts: {known}); add it there and run "
            "`mlopsctl converge`"
        )
    user = found[0]
    if user.get("state", "present") != "present":
        raise ConfigError(f"{name}'s account is retired (state: {user.get('state')}): it can no longer log in")
    if "password" in user:
        source, password = "set in mlops_ml_users (e.g. from vault)", None
    else:
        secret = password_file(secrets_dir, name)
        if not secret.is_file():
            raise CommandError(f"{secret} does not exist yet: run `mlopsctl converge` to make {name}'s account")
        source = f"first password in {secret} (its owner may have changed it since)"
        password = read_text_file(secret, "the password file").strip() if show_password else None
    team = user.get("team")
    return Access(
        name=name,
        db_host=db_host,
        address=str(_plain(hostvars, "mlops_private_ip", str, "")),
        port=int(_plain(hostvars, "postgresql_port", int, 5432)),
        database=_plain(hostvars, "mlops_dwh_db_name", str, "dwh"),
        ca_file=secrets_dir / "ca/ca.crt",
        password_source=source,
        password=password,
        read_schemas=tuple(_plain(hostvars, "mlops_dwh_schemas", list, ["ml"])),
        write_schemas=(name, *((f"{TEAM_PREFIX}{team}",) if team else ())),
        client_cidrs=tuple(_plain(hostvars, "mlops_ml_client_cidrs", list, [])),
    )


def render(found: Access) -> list[str]:
    """The lines `mlopsctl access` prints: the password itself only when it was asked for."""
    lines = [
        f"{found.name}: the data warehouse on {found.db_host}",
        f"  connect:   {found.address}:{found.port}, database {found.database}, user {found.name}",
        f"  TLS:       required, verify-full against the platform CA {found.ca_file} (copy it beside your notebook)",
        f"  password:  {found.password_source}; change it with \\password in psql",
    ]
    if found.password is not None:
        lines.append(f"             {found.password}")
    lines += [
        f"  reads:     schema {', '.join(found.read_schemas)} (what the DAGs write)",
        f"  writes:    schema {', '.join(found.write_schemas)} (an unqualified CREATE TABLE lands in {found.name})",
        f"  from:      {', '.join(found.client_cidrs) or 'no network yet (mlops_ml_client_cidrs is empty)'} only",
        f'  psql:      psql "{found.libpq}"',
        f"  URL:       {found.url}",
    ]
    return lines
