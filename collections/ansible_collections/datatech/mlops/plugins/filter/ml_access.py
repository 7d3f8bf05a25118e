"""Filters for the ML team's personal database accounts (module_utils/ml_access.py), used by the platform's
group_vars and preflight."""

from __future__ import annotations

from typing import Any

from ansible_collections.datatech.mlops.plugins.module_utils.ml_access import db_access, problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"ml_access_problems": problems, "ml_db_access": db_access}
