"""`mlopsctl hosts up|down`: the local test hosts and their inventory."""

from __future__ import annotations

import argparse

from mlopsctl.checkout import LOGS, local_inventory
from mlopsctl.lab.config import load_config
from mlopsctl.lab.engine import detect_engine
from mlopsctl.lab.hosts import hosts_down, hosts_up
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, engine=args.engine)
    engine = detect_engine(cfg.engine)
    inventory = args.inventory or local_inventory(args.root)
    if args.action == "up":
        report = hosts_up(engine, cfg, inventory, args.root / LOGS)
        say("hosts are up; nothing changed" if not report.changes else f"hosts are up; {len(report.changes)} change(s)")
    else:
        report = hosts_down(engine, cfg, inventory, purge_image=args.purge_image)
        say("nothing to remove" if not report.changes else f"removed {len(report.changes)} thing(s)")
    return 0
