"""Filters that check the roles' inputs before anything changes (module_utils/paths.py)."""

from __future__ import annotations

from typing import Any

from ansible_collections.datatech.mlops.plugins.module_utils.paths import certificate_problems, path_problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"certificate_problems": certificate_problems, "path_problems": path_problems}
