"""DAG delivery to the VMs (role datatech.mlops.dags through playbooks/dags.yml): its arguments, checked before
anything runs. The Kubernetes delivery is mlopsctl.k8s."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mlopsctl.errors import ConfigError

# The example DAG `mlopsctl up` runs once, so a fresh platform ends with results in the data warehouse.
DEMO_DAG = "iris_training"
DAG_ID = re.compile(r"[A-Za-z0-9_.-]+")
# Airflow's own limit on a DAG id (airflow.models.base.ID_LEN).
DAG_ID_LEN = 250


SSH_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def dags_extra_vars(
    source: Path | None = None,
    run: str = "",
    rollback: bool = False,
    ssh_user: str = "",
    ssh_key: Path | None = None,
) -> list[str]:
    """ansible-playbook arguments for the delivery role, checked before anything runs. `ssh_user` and `ssh_key`
    log in as the deploy account (group_vars' mlops_deploy_ssh_user) instead of the inventory's SSH user."""
    extra: dict[str, object] = {}
    if ssh_user:
        if not SSH_USER.fullmatch(ssh_user):
            raise ConfigError(f"dags: --ssh-user {ssh_user!r} is not a user name (lowercase letters, digits, _ and -)")
        extra["ansible_user"] = ssh_user
    if ssh_key is not None:
        if not ssh_key.is_file():
            raise ConfigError(f"dags: --ssh-key {ssh_key} is not a file; pass the deploy account's private key")
        extra["ansible_ssh_private_key_file"] = str(ssh_key.resolve())
    if rollback and source:
        raise ConfigError("dags: a rollback returns to the previous release; it takes no --source")
    if source is not None:
        if not source.is_dir() or not any(source.glob("*.py")):
            raise ConfigError(f"dags: {source} is not a directory with .py DAG files; pass --source DIR")
        extra["dags_source_dir"] = str(source.resolve())
    if run:
        if not DAG_ID.fullmatch(run) or len(run) > DAG_ID_LEN:
            raise ConfigError(
                f"dags: --run {run[:60]!r} is not a DAG id (letters, digits, _ . -; at most {DAG_ID_LEN} characters)"
            )
        extra["dags_run"] = run
    if rollback:
        extra["dags_rollback"] = True
    return ["-e", json.dumps(extra)] if extra else []
