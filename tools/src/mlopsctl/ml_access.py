"""Connection details of an ML user's personal warehouse account (`mlopsctl access NAME`), read from the inventory
the platform was deployed with: the first db host's variables as Ansible sees them (group_vars, host variables)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.files import read_text_file
from mlopsctl.playbook import first_host_vars
from mlopsctl.secret_table import find

ML_PASSWORD = find("postgresql_ml_{name}_password")

TEAM_PREFIX = "team_"


def password_file(secrets_dir: Path, name: str) -> Path:
    """Where group_vars/db.yml's mlops_ml_db_passwords keeps an account's generated first password."""
    return secrets_dir / ML_PASSWORD.name.replace("{name}", name)


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
    return first_host_vars(root, inventory, "db", "the warehouse runs on the first host of group db")


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
