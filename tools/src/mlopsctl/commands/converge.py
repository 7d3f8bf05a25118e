"""`mlopsctl converge`: site.yml against the local hosts or any inventory."""

from __future__ import annotations

import argparse

from mlopsctl.checkout import local_inventory
from mlopsctl.playbook import run_playbook


def run(args: argparse.Namespace) -> int:
    run_playbook(args.root, "site.yml", args.inventory or local_inventory(args.root), args.ansible_args)
    return 0
