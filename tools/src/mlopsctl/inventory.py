"""The Ansible inventory that the local hosts (and, later, cloud hosts) are written to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlopsctl.config import HostSpec

HEADER = "# Written by `mlopsctl hosts up`; do not edit (it is rewritten on every run).\n"


def build_inventory(hosts: list[HostSpec], connection: str) -> dict[str, Any]:
    """Groups from each host's groups; every host carries its private address for pg_hba and clients."""
    groups: dict[str, dict[str, Any]] = {}
    for spec in hosts:
        for group in spec.groups:
            groups.setdefault(group, {"hosts": {}})["hosts"][spec.name] = {"mlops_private_ip": spec.ip}
    return {
        "all": {
            "vars": {
                "ansible_connection": connection,
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "children": dict(sorted(groups.items())),
        }
    }


def write_inventory(path: Path, inventory: dict[str, Any]) -> bool:
    """Write only when the content changes, so `hosts up` twice leaves the file untouched."""
    text = HEADER + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True
