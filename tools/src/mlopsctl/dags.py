"""DAG delivery to the VMs (role datatech.mlops.dags through playbooks/dags.yml): its arguments, checked before
anything runs. The Kubernetes delivery is mlopsctl.k8s."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mlopsctl.errors import ConfigError

# The example DAG `mlopsctl up` runs once, so a fresh platform ends with results in the data warehouse.
DEMO_DAG = "iris_training"
DAG_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def dags_extra_vars(source: Path | None = None, run: str = "", rollback: bool = False) -> list[str]:
    """ansible-playbook arguments for the delivery role, checked before anything runs."""
    extra: dict[str, object] = {}
    if rollback and source:
        raise ConfigError("dags: a rollback returns to the previous release; it takes no --source")
    if source is not None:
        if not source.is_dir() or not any(source.glob("*.py")):
            raise ConfigError(f"dags: {source} is not a directory with .py DAG files; pass --source DIR")
        extra["dags_source_dir"] = str(source.resolve())
    if run:
        if not DAG_ID.fullmatch(run):
            raise ConfigError(f"dags: --run {run!r} is not a DAG id (letters, digits, _ . -)")
        extra["dags_run"] = run
    if rollback:
        extra["dags_rollback"] = True
    return ["-e", json.dumps(extra)] if extra else []
