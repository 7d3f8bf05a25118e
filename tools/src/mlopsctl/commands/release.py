"""`mlopsctl release check|build|install|site|notes|upload`: the collection as a versioned product; one function
per action."""

from __future__ import annotations

import argparse
import os

from mlopsctl import release
from mlopsctl.checkout import COLLECTION
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.playbook import run_playbook
from mlopsctl.progress import say

DIST = ".mlops/dist"
COLLECTIONS = ".mlops/collections"


def check(args: argparse.Namespace) -> int:
    collection = args.root / COLLECTION
    problems = release.check_release(collection, tag=args.tag)
    for problem in problems:
        say(f"release check: {problem}")
    if problems:
        raise CommandError(f"release check: {len(problems)} problem(s), listed above; fix them and check again")
    agree = "galaxy.yml, changelog and tag agree" if args.tag else "galaxy.yml and changelog agree"
    print(f"{release.FQCN} {release.galaxy_version(collection)}: {agree}")
    return 0


def build(args: argparse.Namespace) -> int:
    # Only the tarball's path on stdout: the release job reads it.
    print(release.build(args.output or args.root / DIST, args.root / COLLECTION))
    return 0


def install(args: argparse.Namespace) -> int:
    dest = args.dest or args.root / COLLECTIONS
    if args.working_tree:
        release.install_working_tree(dest, args.root / COLLECTION)
    else:
        release.install_from_checkout(args.root, dest, args.ref)
    for path, version in release.installed_versions(dest).items():
        print(f"{release.FQCN} {version} installed in {path}")
    return 0


def site(args: argparse.Namespace) -> int:
    dest = args.dest or args.root / COLLECTIONS
    env = release.ansible_env(dest)
    run_playbook(args.root, release.site_playbooks(args.root), None, args.ansible_args, env=env)
    return 0


def notes(args: argparse.Namespace) -> int:
    text = release.release_notes(args.root / COLLECTION)
    if args.output:
        args.output.write_text(text)
    else:
        print(text, end="")
    return 0


def upload(args: argparse.Namespace) -> int:
    token = os.environ.get("CI_JOB_TOKEN", "")
    if not token:
        raise ConfigError("CI_JOB_TOKEN is not set: run the upload in a GitLab job (or export a token that may write)")
    print(f"uploaded {args.tarball.name}: HTTP {release.upload(args.tarball, args.url, token)}")
    return 0
