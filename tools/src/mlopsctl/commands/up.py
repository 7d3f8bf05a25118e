"""`mlopsctl up`: hosts (local, or cloud VMs with --cloud), site.yml, the example DAG run once, then how to reach
the platform."""

from __future__ import annotations

import argparse
import time

from mlopsctl.checkout import LOGS, local_inventory
from mlopsctl.dags import dags_extra_vars
from mlopsctl.errors import ConfigError
from mlopsctl.infra import cloud_dir, cloud_inventory, run_terraform, terraform_binary, terraform_commands
from mlopsctl.lab.access import access_summary, results_hint
from mlopsctl.lab.config import load_config, require_platform_groups
from mlopsctl.lab.engine import detect_engine
from mlopsctl.lab.hosts import hosts_up
from mlopsctl.playbook import run_playbook
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    start = time.monotonic()
    if not args.no_run and not args.run:
        raise ConfigError("up: --run needs a DAG id; pass --no-run to deploy the DAGs without running one")
    dag = "" if args.no_run else args.run
    # Checked before any VM or host is made.
    extra = dags_extra_vars(run=dag)
    if args.cloud:
        # Cloud VMs: infra apply, the inventory from its outputs, then the same site.yml as the local hosts.
        run_terraform(terraform_commands(terraform_binary(), cloud_dir(args.root, args.cloud), "apply"))
        inventory = cloud_inventory(args.root, args.cloud)
        run_playbook(args.root, "site.yml", inventory, extra)
        say(f"\nPlatform converged on {args.cloud} in {time.monotonic() - start:.0f}s; inventory {inventory}")
        return 0
    cfg = load_config(args.config, engine=args.engine)
    require_platform_groups(cfg)
    engine = detect_engine(cfg.engine)
    inventory = local_inventory(args.root)
    hosts_up(engine, cfg, inventory, args.root / LOGS)
    run_playbook(args.root, "site.yml", inventory, extra)
    say(f"\nPlatform converged in {time.monotonic() - start:.0f}s.")
    for line in access_summary(args.root, cfg, inventory) + (results_hint(cfg, engine.name, dag) if dag else []):
        say(line)
    return 0
