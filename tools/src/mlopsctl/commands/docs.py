"""`mlopsctl docs`: role READMEs, the Terraform README's variables, the site's reference pages and the monitoring
role's Grafana dashboard, regenerated."""

from __future__ import annotations

import argparse

from mlopsctl.docs import write_reference_pages, write_role_readmes, write_terraform_readme
from mlopsctl.progress import say


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`parser`: mlopsctl's own, which the reference page of its commands is generated from."""
    # Grafana's models load only for this command, not on every mlopsctl start.
    from mlopsctl.grafana_dashboard import write_grafana_dashboard

    root = args.root
    changed = (
        write_role_readmes(root)
        + write_terraform_readme(root)
        + write_reference_pages(root, parser)
        + write_grafana_dashboard(root)
    )
    say(
        "\n".join(f"written: {p.relative_to(root)}" for p in changed)
        or "role and Terraform READMEs, the site's reference pages and the Grafana dashboard are up to date"
    )
    return 0
