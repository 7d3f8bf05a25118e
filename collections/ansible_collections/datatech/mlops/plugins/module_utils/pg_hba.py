"""pg_hba.conf entries of the postgresql role: every field checked before anything is written, then rendered.

A field is written into pg_hba.conf as it is, so a line break or a space in a database name would add lines of its
own (a `trust` line for the whole internet that PostgreSQL loads without complaint): each field must be a plain
name or a network, and network entries may not use methods that let a client in without a password in the clear.
"""

from __future__ import annotations

import ipaddress
import re

# A database or role name as pg_hba.conf reads it unquoted; `+role` names members of a role.
NAME = re.compile(r"^\+?[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
KEYWORDS = {"all", "sameuser", "samerole", "replication"}
# Methods that let a network client in without proving a password (trust) or with one in the clear (password).
UNSAFE_NETWORK_METHODS = {"trust", "password", "ident"}
# Networks this wide are "the whole internet" for the guard: /0 to /7 (v4), /0 to /31 (v6).
WORLD_PREFIX = {4: 8, 6: 32}


def _items(value) -> list:
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [part for part in str(value).split(",") if part] if value is not None else []


def _label(entry: dict) -> str:
    return f"postgresql_hba_entries entry {str(entry.get('database'))!r}/{str(entry.get('user'))!r}"


def problems(entries: list) -> list:
    """One line per entry that cannot be written as it is, naming the field and what is accepted."""
    found = []
    for entry in entries:
        label = _label(entry)
        kind = entry.get("type", "hostssl")
        for field in ("database", "user"):
            items = _items(entry.get(field))
            bad = [item for item in items if item not in KEYWORDS and not NAME.fullmatch(item)]
            if not items or bad:
                found.append(
                    f"{label}: {field} {', '.join(repr(item) for item in bad) or 'is empty'} is not a name "
                    "(letters, digits, _ $ -, or all/sameuser/samerole/replication; a list or comma-separated names)"
                )
        method = str(entry.get("method", "scram-sha-256"))
        if kind == "local":
            if entry.get("address"):
                found.append(f"{label}: type local takes no address")
            continue
        if method in UNSAFE_NETWORK_METHODS:
            found.append(
                f"{label}: method {method} lets network clients in without a password check: use scram-sha-256"
            )
        addresses = _items(entry.get("address") or [])
        if not addresses:
            found.append(f"{label}: a network entry needs an address (CIDR)")
        for address in addresses:
            if address == "all" or address in ("samehost", "samenet"):
                network = ipaddress.ip_network("0.0.0.0/0")
            else:
                try:
                    network = ipaddress.ip_network(address, strict=False)
                except ValueError:
                    found.append(f"{label}: address {address!r} is not an IP address or network in CIDR form")
                    continue
            if network.prefixlen < WORLD_PREFIX[network.version] and not entry.get("allow_world"):
                found.append(
                    f"{label}: address {address} is (nearly) the whole internet: list the client addresses instead, "
                    "or set allow_world: true on the entry if that is really wanted"
                )
    return found


def lines(entries: list) -> list:
    """pg_hba.conf lines, one per address; entries with problems are refused, never written."""
    refused = problems(entries)
    if refused:
        raise ValueError("; ".join(refused))
    out = []
    for entry in entries:
        database, user = ",".join(_items(entry["database"])), ",".join(_items(entry["user"]))
        method = entry.get("method", "scram-sha-256")
        if entry.get("type") == "local":
            out.append(f"local  {database}  {user}  {method}")
            continue
        for address in _items(entry.get("address") or []):
            out.append(f"{entry.get('type', 'hostssl')}  {database}  {user}  {address}  {method}")
    return out
