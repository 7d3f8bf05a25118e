"""Bring the FAB auth manager's roles and users to the state read as JSON from stdin; print the changes as JSON.

Run with the Airflow virtualenv's Python, as the Airflow user, with Airflow's configuration in the environment.
One process does every account: each `airflow users ...` call would start Airflow again (seconds apiece).
stdin: {"roles": {NAME: {RESOURCE: [ACTION, ...]}}, "users": [{"name", "email", "role", "first_name",
"last_name", "password", "update_password": "always"|"on_create", "state": "present"|"absent"}]}.
With --check nothing is written; the output lists what would change. Passwords never reach the output.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _sync_role(sm: Any, name: str, wanted: dict[str, list[str]], check: bool) -> list[str]:
    changes: list[str] = []
    role = sm.find_role(name)
    if role is None:
        changes.append(f"role {name} created")
        role = None if check else sm.add_role(name)
    have = {(p.action.name, p.resource.name) for p in role.permissions} if role else set()
    want = {(action, resource) for resource, actions in wanted.items() for action in actions}
    for action, resource in sorted(want - have):
        changes.append(f"role {name} may {action} on {resource}")
        if not check:
            sm.add_permission_to_role(role, sm.create_permission(action, resource))
    for action, resource in sorted(have - want):
        changes.append(f"role {name} may no longer {action} on {resource}")
        if not check:
            sm.remove_permission_from_role(role, sm.get_permission(action, resource))
    return changes


def _sync_user(sm: Any, spec: dict[str, Any], check: bool) -> list[str]:
    from werkzeug.security import check_password_hash

    name = spec["name"]
    user = sm.find_user(username=name)
    if spec.get("state", "present") == "absent":
        if user is None:
            return []
        if not check:
            user.roles.clear()
            sm.del_register_user(user)
        return [f"user {name} deleted"]
    role = sm.find_role(spec["role"])
    if role is None and not check:
        raise SystemExit(f"user {name}: role {spec['role']!r} does not exist; roles: {sm.get_all_roles()}")
    if user is None:
        if not check and not sm.add_user(
            name, spec["first_name"], spec["last_name"], spec["email"], role, spec["password"]
        ):
            raise SystemExit(f"user {name} could not be created (is the email {spec['email']} taken?)")
        return [f"user {name} created with role {spec['role']}"]
    changes: list[str] = []
    fields = {"email": spec["email"], "first_name": spec["first_name"], "last_name": spec["last_name"]}
    for field, value in fields.items():
        if getattr(user, field) != value:
            changes.append(f"user {name} has {field} {value}")
            if not check:
                setattr(user, field, value)
    if [r.name for r in user.roles] != [spec["role"]]:
        changes.append(f"user {name} has role {spec['role']} only")
        if not check:
            user.roles = [role]
    if changes and not check:
        sm.update_user(user)
    # The stored hash is checked, not compared: scrypt salts every hash differently.
    if spec.get("update_password", "always") == "always" and not check_password_hash(user.password, spec["password"]):
        changes.append(f"user {name} has the given password")
        if not check:
            sm.reset_password(user.id, spec["password"])
    return changes


def main() -> int:
    check = "--check" in sys.argv[1:]
    spec = json.load(sys.stdin)
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    changes: list[str] = []
    with get_application_builder() as appbuilder:
        for name, permissions in spec.get("roles", {}).items():
            changes += _sync_role(appbuilder.sm, name, permissions, check)
        for user in spec.get("users", []):
            changes += _sync_user(appbuilder.sm, user, check)
    json.dump({"changed": bool(changes), "changes": changes}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
