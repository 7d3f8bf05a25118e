"""The checkout mlopsctl runs in: where its root is, and the paths inside it that several commands share."""

from __future__ import annotations

from pathlib import Path

from mlopsctl.errors import ConfigError

COLLECTION = Path("collections/ansible_collections/datatech/mlops")
ROLES = COLLECTION / "roles"
# Written by `mlopsctl hosts up`; the inventory every command uses when it is given none.
LOCAL_INVENTORY = Path("inventories/local/hosts.yml")
LOGS = Path(".mlops/logs")


def is_checkout(path: Path) -> bool:
    """A checkout of the platform holds site.yml and ansible.cfg."""
    return (path / "site.yml").is_file() and (path / "ansible.cfg").is_file()


def find_root(start: Path) -> Path:
    """The checkout: the nearest directory up from `start` holding site.yml and ansible.cfg."""
    for candidate in (start, *start.parents, *Path(__file__).resolve().parents):
        if is_checkout(candidate):
            return candidate
    raise ConfigError("no checkout found: run mlopsctl inside the repository (where site.yml is) or pass --root")


def local_inventory(root: Path) -> Path:
    """The local hosts' inventory in this checkout."""
    return root / LOCAL_INVENTORY
