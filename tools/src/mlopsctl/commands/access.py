"""`mlopsctl access NAME`: an ML user's connection details for the data warehouse, the password only when asked."""

from __future__ import annotations

import argparse

from mlopsctl import ml_access
from mlopsctl.checkout import local_inventory


def run(args: argparse.Namespace) -> int:
    inventory = args.inventory or local_inventory(args.root)
    db_host, hostvars = ml_access.db_host_vars(args.root, inventory)
    found = ml_access.access(args.name, db_host, hostvars, inventory.parent / ".secrets", args.show_password)
    print("\n".join(ml_access.render(found)))
    return 0
