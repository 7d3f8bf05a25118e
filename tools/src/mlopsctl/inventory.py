"""The Ansible inventory that the local hosts are written to: reached over SSH, like real VMs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from mlopsctl.lab.config import HostSpec

HEADER = "# Written by `mlopsctl hosts up`; do not edit (it is rewritten on every run).\n"
# Beside the inventory, so a copied inventory directory keeps working; both are made by `mlopsctl hosts up`.
SSH_DIR = ".secrets/ssh"
SSH_KEY = f"{SSH_DIR}/id_ed25519"
KNOWN_HOSTS = f"{SSH_DIR}/known_hosts"
# The pipeline's key: it logs in as the deploy account only (group_vars' mlops_deploy_ssh_user), never as root.
DEPLOY_SSH_KEY = ".secrets/deploy-ssh/id_ed25519"
# Every group a play of site.yml targets: written even when empty, so Ansible never warns of an unmatched pattern.
PLAY_GROUPS = ("airflow", "airflow_workers", "backup", "db")


def with_play_groups(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The inventory's groups sorted by name, with an empty entry for each play group no host is in."""
    return dict(sorted(({g: {"hosts": {}} for g in PLAY_GROUPS} | groups).items()))


def build_inventory(
    hosts: list[HostSpec],
    endpoints: dict[str, tuple[str, int]],
    gateway: str = "",
    deploy_key: str = "",
    network: str = "",
) -> dict[str, Any]:
    """Groups from each host's groups; every host carries its SSH endpoint and its private address (pg_hba). The
    db hosts admit ML staff from the hosts' gateway: this machine stands for their office network. The Airflow hosts
    let `deploy_key` (a public key) in as the deploy account. `network` is the hosts' subnet (Celery workers must be
    on it)."""
    groups: dict[str, dict[str, Any]] = {}
    for spec in hosts:
        address, port = endpoints[spec.name]
        host_vars: dict[str, Any] = {"ansible_host": address, "ansible_port": port, "mlops_private_ip": spec.ip}
        if gateway and "db" in spec.groups:
            host_vars["mlops_ml_client_cidrs"] = [f"{gateway}/32"]
        if deploy_key and "airflow" in spec.groups:
            host_vars["mlops_deploy_ssh_keys"] = [deploy_key]
        for group in spec.groups:
            groups.setdefault(group, {"hosts": {}})["hosts"][spec.name] = host_vars
    return {
        "all": {
            "vars": {
                "ansible_connection": "ssh",
                "ansible_user": "root",
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": f"{{{{ inventory_dir }}}}/{SSH_KEY}",
                # Host keys were read from each host when it was booted: no trust on first use.
                "ansible_ssh_common_args": ssh_common_args(KNOWN_HOSTS, "-o IdentitiesOnly=yes"),
                **({"mlops_private_network": network} if network else {}),
            },
            "children": with_play_groups(groups),
        }
    }


def ssh_common_args(known_hosts: str, *extra: str) -> str:
    """SSH accepts only the host keys in known_hosts (a path relative to the inventory's directory)."""
    return " ".join(
        [f"-o UserKnownHostsFile={{{{ inventory_dir }}}}/{known_hosts} -o StrictHostKeyChecking=yes", *extra]
    )


def write_inventory(path: Path, inventory: dict[str, Any]) -> bool:
    """Write only when the content changes, so `hosts up` twice leaves the file untouched."""
    text = HEADER + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
    return write_if_changed(path, text)


def is_written_inventory(path: Path) -> bool:
    """A plain file that starts with HEADER: the only inventory `hosts down` may delete."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(len(HEADER.encode())) == HEADER.encode()


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    """Atomically replace `path` when its content differs (a link there is replaced, never followed); True when
    it was written."""
    if path.is_file() and not path.is_symlink() and path.read_text(errors="replace") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
