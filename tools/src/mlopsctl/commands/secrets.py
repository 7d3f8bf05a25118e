"""`mlopsctl secrets rotate NAME`: a new value for one generated secret, the platform converged with it."""

from __future__ import annotations

import argparse

from mlopsctl import secrets
from mlopsctl.checkout import local_inventory
from mlopsctl.playbook import run_playbook
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    inventory = args.inventory or local_inventory(args.root)

    def converge(playbook: str, extra: list[str]) -> None:
        run_playbook(args.root, playbook, inventory, extra)

    previous = secrets.rotate(inventory.parent / ".secrets", args.name, converge, args.ansible_args)
    say(f"{args.name} rotated; the previous value is kept in {previous} until you delete it")
    return 0
