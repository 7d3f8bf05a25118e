"""`mlopsctl docs`: role READMEs, the Terraform README's variables and the site's reference pages, regenerated."""

from __future__ import annotations

import argparse

from mlopsctl.docs import write_reference_pages, write_role_readmes, write_terraform_readme
from mlopsctl.progress import say


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`parser`: mlopsctl's own, which the reference page of its commands is generated from."""
    root = args.root
    changed = write_role_readmes(root) + write_terraform_readme(root) + write_reference_pages(root, parser)
    say(
        "\n".join(f"written: {p.relative_to(root)}" for p in changed)
        or "role and Terraform READMEs and the site's reference pages are up to date"
    )
    return 0
