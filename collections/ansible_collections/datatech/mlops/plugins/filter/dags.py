"""Filters of the dags role: what Airflow's API answers says about a live release (module_utils/dags.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.datatech.mlops.plugins.module_utils.dags import (
    api_import_errors,
    api_readiness,
    escaping_links,
    task_states,
)


def _dicts(value: Any, name: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise AnsibleFilterError(f"{name}: expected a list of objects from Airflow's API, got {type(value).__name__}")
    return value


def dags_readiness(
    api_dags: Any, expected: list[str], parsed_after: str = "", bundle: str = "", version: str = ""
) -> dict[str, list[str]]:
    """{not_ready, unexpected} of a live release, from GET /api/v2/dags's `dags` (see api_readiness)."""
    return api_readiness(_dicts(api_dags, "dags_readiness"), expected, parsed_after or "", bundle or "", version or "")


def dags_import_errors(import_errors: Any) -> list[str]:
    """GET /api/v2/importErrors's `import_errors` as `file: last line of its traceback` lines."""
    return api_import_errors(_dicts(import_errors, "dags_import_errors"))


def dags_task_states(task_instances: Any) -> str:
    """A run's task instances (GET .../taskInstances) as `task=state, ...`."""
    return task_states(_dicts(task_instances, "dags_task_states"))


def dags_escaping_links(source: Any) -> list[str]:
    """Links under the DAG source directory that point outside it (see escaping_links)."""
    if not isinstance(source, str) or not source:
        raise AnsibleFilterError(f"dags_escaping_links: expected a directory path, got {source!r}")
    return escaping_links(source)


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "dags_readiness": dags_readiness,
            "dags_import_errors": dags_import_errors,
            "dags_task_states": dags_task_states,
            "dags_escaping_links": dags_escaping_links,
        }
