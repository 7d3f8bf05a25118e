"""`mlopsctl dags deploy|rollback`: a new release of dags/ on the Airflow hosts (or the cluster's tracked Git ref
with --target k8s), or back to the one before."""

from __future__ import annotations

import argparse
import os

from mlopsctl import k8s
from mlopsctl.checkout import local_inventory
from mlopsctl.dags import dags_extra_vars
from mlopsctl.playbook import run_playbook
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    if args.target == "k8s":
        if args.action == "deploy":
            python = str(args.dags_python or args.root / ".venv-dags/bin/python")
            commit = k8s.deploy_from_env(args.root, os.environ, python, args.report)
            say(f"DAGs of {commit[:12]} are live in the cluster")
        else:
            say(f"the tracked ref is back at {k8s.rollback_from_env(args.root, os.environ)[:12]}")
        return 0
    extra = dags_extra_vars(
        source=args.source,
        run=args.run,
        rollback=args.action == "rollback",
        ssh_user=args.ssh_user,
        ssh_key=args.ssh_key,
    )
    run_playbook(args.root, "playbooks/dags.yml", args.inventory or local_inventory(args.root), extra)
    return 0
