"""Personal database accounts of ML staff: what the postgresql role is given for them, and the checks before it.

Each person gets a login role (scram-sha-256 over TLS, only from the networks ML staff connect from) that reads the
warehouse schemas the DAGs write, through one NOLOGIN reader role, and writes in a schema of their own named like
the role (PostgreSQL's default search_path starts with "$user", so an unqualified CREATE TABLE lands there) and, with
a team, in the team's schema. Nothing here grants anything on another database.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

# A PostgreSQL identifier that needs no quoting, is also a safe file name, and fits NAMEDATALEN with a prefix.
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
USER_KEYS = frozenset({"name", "team", "password", "state"})
STATES = ("present", "absent")
TEAM_PREFIX = "team_"
# Roles and schemas PostgreSQL itself owns.
BUILTIN = frozenset({"postgres", "public", "information_schema"})
# Wider than this is (nearly) the whole internet, as for postgresql_hba_entries.
WIDEST_PREFIX = {4: 8, 6: 32}
ML_TABLE_PRIVS = "SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES"


def team_role(team: str) -> str:
    """The NOLOGIN role (and schema) of a team."""
    return f"{TEAM_PREFIX}{team}"


def _active(users: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [user for user in users if user.get("state", "present") == "present"]


def _user_problems(index: int, user: Any, reserved: set[str]) -> list[str]:
    if not isinstance(user, Mapping):
        return [f"mlops_ml_users[{index}] must be a mapping with a name, got {type(user).__name__}"]
    where = f"mlops_ml_users[{index}]"
    problems = []
    unknown = sorted(str(key) for key in user if key not in USER_KEYS)
    if unknown:
        problems.append(f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(sorted(USER_KEYS))})")
    name = user.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(
            f"{where}.name {name!r} is not a lowercase name of letters, digits and _ starting with a letter "
            "(at most 40 characters), e.g. anna_petrova"
        )
    elif name.startswith(("pg_", TEAM_PREFIX)) or name in reserved:
        problems.append(f"{where}.name {name!r} is taken by the platform (or starts with pg_ or team_): pick another")
    team = user.get("team")
    if team is not None and (not isinstance(team, str) or not NAME.fullmatch(team)):
        problems.append(f"{where}.team {team!r} is not a lowercase name of letters, digits and _ (e.g. vision)")
    if user.get("state", "present") not in STATES:
        problems.append(f"{where}.state {user.get('state')!r} must be present or absent")
    password = user.get("password")
    if password is not None and (not isinstance(password, str) or len(password) < 16):
        problems.append(f"{where}.password must be a string of 16 characters or more (or left out to generate one)")
    return problems


def _cidr_problems(client_cidrs: Any) -> list[str]:
    if not isinstance(client_cidrs, Sequence) or isinstance(client_cidrs, str):
        return [f"mlops_ml_client_cidrs must be a list of networks (e.g. ['10.8.0.0/24']), got {client_cidrs!r}"]
    problems = []
    for cidr in client_cidrs:
        try:
            network = ipaddress.ip_network(str(cidr), strict=True)
        except ValueError as exc:
            problems.append(f"mlops_ml_client_cidrs: {cidr!r} is not a network in CIDR form ({exc})")
            continue
        if network.prefixlen < WIDEST_PREFIX[network.version]:
            problems.append(
                f"mlops_ml_client_cidrs: {cidr} is (nearly) the whole internet; list the office or VPN networks"
            )
    return problems


def problems(users: Any, client_cidrs: Any, reserved: Sequence[str] = ()) -> list[str]:
    """Everything wrong with mlops_ml_users and mlops_ml_client_cidrs, one sentence each; empty when fine."""
    if not isinstance(users, Sequence) or isinstance(users, str):
        return [f"mlops_ml_users must be a list of {{name, team}} mappings, got {type(users).__name__}"]
    taken = BUILTIN | {str(name) for name in reserved if name}
    found = [problem for index, user in enumerate(users) for problem in _user_problems(index, user, taken)]
    names = [user.get("name") for user in users if isinstance(user, Mapping)]
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        found.append(f"mlops_ml_users names {', '.join(repeated)} more than once; each person once")
    teams = {user.get("team") for user in _active([user for user in users if isinstance(user, Mapping)])}
    for team in sorted(team for team in teams if isinstance(team, str) and team_role(team) in taken):
        found.append(
            f"mlops_ml_users team {team!r} would get the schema and role {team_role(team)!r}, which the platform "
            "already has (a schema in mlops_dwh_schemas or a platform role): rename the team or that schema"
        )
    found += _cidr_problems(client_cidrs)
    if not found and _active(users) and not client_cidrs:
        found.append(
            "mlops_ml_users has accounts but mlops_ml_client_cidrs is empty, so nobody could connect: list the "
            "networks ML staff connect from (office, VPN)"
        )
    return found


def db_access(
    users: Sequence[Mapping[str, Any]],
    passwords: Mapping[str, str],
    database: str,
    owner: str,
    read_schemas: Sequence[str],
    reader_role: str,
    client_cidrs: Sequence[str],
    settings: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The postgresql role's users, schemas, privileges and pg_hba entries for valid users (see problems()).

    An absent user's role is made NOLOGIN, and their schema is left as it is (nothing they wrote is lost) and never
    made. Their role entry would still make a NOLOGIN role for a name that never existed: telling the two apart needs
    the server's roles, which a filter cannot see. Without any user nothing is made: the warehouse stays the DAGs'.
    """
    if not users:
        return {"users": [], "schemas": [], "privileges": [], "hba": []}
    active = _active(users)
    teams = sorted({user["team"] for user in active if user.get("team")})
    roles: list[dict[str, Any]] = [{"name": reader_role, "role_attr_flags": "NOLOGIN"}]
    roles += [{"name": team_role(team), "role_attr_flags": "NOLOGIN"} for team in teams]
    for user in users:
        name = user["name"]
        if user in active:
            roles.append(
                {
                    "name": name,
                    "password": passwords[name],
                    # The person may change it (\password); the platform sets it only when the role is made.
                    "no_password_changes": True,
                    "role_attr_flags": "LOGIN,NOSUPERUSER,NOCREATEDB,NOCREATEROLE,NOREPLICATION",
                    "configuration": dict(settings or {}),
                }
            )
        else:
            roles.append({"name": name, "role_attr_flags": "NOLOGIN"})
    schemas = [{"name": schema, "owner": owner} for schema in read_schemas]
    schemas += [{"name": team_role(team), "owner": team_role(team)} for team in teams]
    schemas += [{"name": user["name"], "owner": user["name"]} for user in active]

    def grant(**fields: Any) -> dict[str, Any]:
        return {"database": database, **fields}

    privileges = []
    for schema in read_schemas:
        privileges += [
            grant(type="schema", objs=schema, privs="USAGE", roles=reader_role),
            grant(type="table", objs="ALL_IN_SCHEMA", schema=schema, privs="SELECT", roles=reader_role),
            # Tables the DAGs create later are readable too.
            grant(
                type="default_privs",
                objs="TABLES",
                schema=schema,
                privs="SELECT",
                roles=reader_role,
                target_roles=owner,
            ),
        ]
    if active:
        privileges.append(grant(type="group", objs=reader_role, roles=",".join(u["name"] for u in active)))
    for team in teams:
        members = [user["name"] for user in active if user.get("team") == team]
        privileges.append(grant(type="group", objs=team_role(team), roles=",".join(members)))
        # What one member creates in the team's schema the others may use.
        privileges += [
            grant(
                type="default_privs",
                objs="TABLES",
                schema=team_role(team),
                privs=ML_TABLE_PRIVS,
                roles=team_role(team),
                target_roles=member,
            )
            for member in members
        ]
    hba = []
    if active and client_cidrs:
        hba.append(
            {
                "type": "hostssl",
                "database": database,
                "user": ",".join(user["name"] for user in active),
                "address": list(client_cidrs),
                "method": "scram-sha-256",
            }
        )
    return {"users": roles, "schemas": schemas, "privileges": privileges, "hba": hba}
