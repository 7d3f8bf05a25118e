"""The airflow role's accounts: the admin and airflow_users with their defaults, checked, and the document the FAB
sync and the host's record read. Pure functions: unit-tested without Airflow."""

from __future__ import annotations

import json

# The simple auth manager's roles (any case); FAB has them too, plus the ones airflow_roles adds.
BUILTIN_ROLES = ("Admin", "Op", "User", "Viewer")
USER_DEFAULTS = {"last_name": "User", "update_password": "always", "state": "present"}


def accounts(admin_user: str, admin_email: str, admin_password: str, users: list) -> list:
    """Every account: the admin first, then airflow_users with their defaults filled in."""
    admin = {
        "name": admin_user,
        "email": admin_email,
        "role": "Admin",
        "first_name": "Airflow",
        "last_name": "Admin",
        "password": admin_password,
        "update_password": "always",
        "state": "present",
    }
    return [admin, *({"first_name": user.get("name", ""), **USER_DEFAULTS, **user} for user in users)]


def problems(all_accounts: list, roles: dict, auth_manager: str) -> list:
    """What keeps the accounts from being set: duplicate names or emails, missing passwords, unknown roles."""
    found = []
    names = [account.get("name", "") for account in all_accounts]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        found.append(f"account names must be unique (the admin included): {', '.join(duplicates)}")
    if auth_manager == "fab":
        emails = [str(account.get("email", "")).lower() for account in all_accounts]
        taken = sorted({email for email in emails if emails.count(email) > 1})
        if taken:
            found.append(f"FAB needs a different email per account: {', '.join(taken)}")
    present = [account for account in all_accounts if account.get("state", "present") == "present"]
    without = [account.get("name", "?") for account in present if not account.get("password")]
    if without:
        found.append(f"present accounts need a password: {', '.join(without)}")
    known = [*BUILTIN_ROLES, *(roles if auth_manager == "fab" else [])]
    key = str.capitalize if auth_manager == "simple" else str
    unknown = sorted({str(account.get("role")) for account in present if key(str(account.get("role"))) not in known})
    if unknown:
        found.append(f"roles must be one of {', '.join(known)} (unknown: {', '.join(unknown)})")
    return found


def document(all_accounts: list, roles: dict) -> str:
    """What the FAB sync reads and the host keeps as the record of what the role last set, in a stable order."""
    return json.dumps({"roles": roles, "users": all_accounts}, indent=4, sort_keys=True)


def simple_passwords(all_accounts: list) -> dict:
    """The simple auth manager's passwords file: name to password of every present account."""
    return {a["name"]: a["password"] for a in all_accounts if a.get("state", "present") == "present"}
