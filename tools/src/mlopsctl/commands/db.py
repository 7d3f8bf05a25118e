"""`mlopsctl db backup|restore|verify`: a pgBackRest backup now, a point-in-time restore of the db host, or the restore
drill on the backup host."""

from __future__ import annotations

import argparse
import time

from mlopsctl import db
from mlopsctl.checkout import local_inventory
from mlopsctl.playbook import run_playbook
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    plan = db.plan(args.action, args.type, args.to, args.latest, args.remove_old)
    start = time.monotonic()
    say(f"==> {plan.title}")
    run_playbook(args.root, plan.playbook, args.inventory or local_inventory(args.root), plan.args())
    say(f"{plan.title}: done in {time.monotonic() - start:.0f}s (the report is the last task's message above)")
    return 0
