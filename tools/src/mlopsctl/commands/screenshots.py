"""`mlopsctl screenshots`: the docs' pictures of the Airflow UI, taken from the local demo (or --url)."""

from __future__ import annotations

import argparse

from mlopsctl.checkout import local_inventory
from mlopsctl.errors import CommandError
from mlopsctl.lab.access import local_api
from mlopsctl.lab.config import load_config
from mlopsctl.lab.screenshots import admin_user, take
from mlopsctl.progress import say

OUT = "docs/assets/screenshots"


def run(args: argparse.Namespace) -> int:
    inventory = args.inventory or local_inventory(args.root)
    secrets = inventory.parent / ".secrets"
    if args.url:
        secret = secrets / "airflow_admin_password"
        if not secret.is_file():
            raise CommandError(f"{secret} is missing: converge that platform first")
        url, user, password = args.url.rstrip("/"), admin_user(args.root, inventory), secret.read_text().strip()
    else:
        _, api = local_api(args.root, load_config(args.config, engine=args.engine), inventory)
        url, user, password = api.url, api.user, api.password
    for path in take(url, user, password, secrets / "ca/ca.crt", args.out or args.root / OUT):
        say(f"written: {path}")
    return 0
