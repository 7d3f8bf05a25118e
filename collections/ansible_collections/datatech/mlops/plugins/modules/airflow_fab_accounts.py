#!/usr/bin/python
"""Ansible module airflow_fab_accounts: the FAB auth manager's roles and users brought to a given state."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: airflow_fab_accounts
short_description: Bring Airflow's FAB roles and users to exactly the given permissions, roles and passwords
version_added: "0.3.0"
description:
  - Runs inside Airflow's virtualenv (set C(ansible_python_interpreter) to its Python) as the Airflow user, with
    Airflow's configuration from O(airflow_home) and O(airflow_config), in one process for every account (each
    C(airflow users ...) call would start Airflow again, seconds apiece).
  - Each role in O(roles) gets exactly its permissions; each user its email, names, one role and, with
    C(update_password=always), its password, checked against the stored salted hash rather than reset;
    C(state=absent) users are deleted.
  - Passwords never reach the result; C(changes) names accounts and roles only. Supports check mode.
options:
  roles:
    description: Role name to {resource name to [action names]}.
    type: dict
    default: {}
  users:
    description: Accounts (name, email, role, first_name, last_name, password, update_password, state).
    type: list
    elements: dict
    default: []
  airflow_home:
    description: AIRFLOW_HOME of the installation.
    type: path
    required: true
  airflow_config:
    description: Path of its airflow.cfg.
    type: path
    required: true
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: Every FAB role has exactly its permissions and every account its role and password
  datatech.mlops.airflow_fab_accounts:
    roles: {Deployer: {DAGs: [can_read, can_edit]}}
    users: [{name: ann, email: ann@example.org, role: Viewer, first_name: ann, last_name: User, password: x}]
    airflow_home: /var/lib/airflow
    airflow_config: /etc/airflow/airflow.cfg
  vars:
    ansible_python_interpreter: /opt/airflow/bin/python
  become: true
  become_user: airflow
  no_log: true
"""

RETURN = r"""
changes:
  description: What changed (or would, in check mode), one line per role permission or account field.
  returned: always
  type: list
  elements: str
  sample: ["role Deployer created", "user ann created with role Viewer"]
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.airflow_process import host_imports_only, stdout_to_stderr


class AccountError(Exception):
    """An account cannot be set; the message says which and why."""


def sync_role(sm, name: str, wanted: dict, check: bool) -> list:
    changes = []
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


def sync_user(sm, spec: dict, check: bool) -> list:
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
        raise AccountError(f"user {name}: role {spec['role']!r} does not exist; roles: {sm.get_all_roles()}")
    if user is None:
        if not check and not sm.add_user(
            name, spec["first_name"], spec["last_name"], spec["email"], role, spec["password"]
        ):
            raise AccountError(f"user {name} could not be created (is the email {spec['email']} taken?)")
        return [f"user {name} created with role {spec['role']}"]
    changes = []
    for field in ("email", "first_name", "last_name"):
        if getattr(user, field) != spec[field]:
            changes.append(f"user {name} has {field} {spec[field]}")
            if not check:
                setattr(user, field, spec[field])
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


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "roles": {"type": "dict", "default": {}},
            "users": {"type": "list", "elements": "dict", "default": [], "no_log": True},
            "airflow_home": {"type": "path", "required": True},
            "airflow_config": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    os.environ["AIRFLOW_HOME"] = module.params["airflow_home"]
    os.environ["AIRFLOW_CONFIG"] = module.params["airflow_config"]
    os.chdir(module.params["airflow_home"])
    host_imports_only()
    check = module.check_mode
    changes: list = []
    try:
        with stdout_to_stderr():
            from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

            with get_application_builder() as appbuilder:
                for name, permissions in module.params["roles"].items():
                    changes += sync_role(appbuilder.sm, name, permissions, check)
                for user in module.params["users"]:
                    changes += sync_user(appbuilder.sm, user, check)
    except ImportError as exc:
        module.fail_json(msg=f"Airflow's FAB provider cannot be imported by {sys.executable}: {exc}")
    except AccountError as exc:
        module.fail_json(msg=f"{exc}. Check airflow_users and airflow_roles.", changes=changes)
    module.exit_json(changed=bool(changes), changes=changes)


if __name__ == "__main__":
    main()
