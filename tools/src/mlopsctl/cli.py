"""Command line: the parser, the dispatch to mlopsctl.commands, and every error printed as one line (exit 2)."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from mlopsctl import commands, db, k8s, secrets
from mlopsctl.checkout import find_root, is_checkout
from mlopsctl.dags import DEMO_DAG
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.infra import CLOUDS
from mlopsctl.lab.config import DISTRIBUTIONS, ENGINES
from mlopsctl.progress import say


def add_release(sub: argparse._SubParsersAction) -> None:
    """`mlopsctl release ACTION`: the collection's version checks, tarball, installs, notes and upload."""
    release = sub.add_parser("release", help="the collection's releases: check, build, install, site, notes, upload")
    actions = release.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="galaxy.yml, changelog and (with --tag) the tag agree")
    check.add_argument("--tag", help="the release tag, e.g. $CI_COMMIT_TAG")
    check.set_defaults(func=commands.release.check)
    build = actions.add_parser("build", help="the release tarball, checked; its path on stdout")
    build.add_argument("--output", type=Path, help="directory for the tarball (default: ROOT/.mlops/dist)")
    build.set_defaults(func=commands.release.build)
    install = actions.add_parser("install", help="this checkout's collection at a tag into a collections path")
    install.add_argument("--ref", help="git ref; default v<galaxy.yml version>")
    install.add_argument("--working-tree", action="store_true", help="the working tree's tarball, not a git ref")
    install.add_argument("--dest", type=Path, help="collections path (default: ROOT/.mlops/collections)")
    install.set_defaults(func=commands.release.install)
    site = actions.add_parser("site", help="site.yml's playbooks from the installed copy; after --, ansible-playbook's")
    site.add_argument(
        "--dest", type=Path, help="the installed copy's collections path (default: ROOT/.mlops/collections)"
    )
    site.add_argument("ansible_args", nargs="*", help=argparse.SUPPRESS)
    site.set_defaults(func=commands.release.site)
    notes = actions.add_parser("notes", help="this version's section of CHANGELOG.md")
    notes.add_argument("--output", type=Path, help="write it to this file (default: stdout)")
    notes.set_defaults(func=commands.release.notes)
    upload = actions.add_parser("upload", help="PUT the tarball to a package registry URL with $CI_JOB_TOKEN")
    upload.add_argument("--tarball", type=Path, required=True, help="the tarball `mlopsctl release build` wrote")
    upload.add_argument("--url", required=True, help="the package's URL in the registry (a GitLab generic package)")
    upload.set_defaults(func=commands.release.upload)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlopsctl", description="Provision the ML data platform.")
    parser.add_argument("--root", type=Path, help="the checkout (default: found from the current directory)")
    parser.add_argument("--config", type=Path, help="settings file (default: ROOT/mlopsctl.toml)")
    parser.add_argument("--engine", choices=ENGINES, help="engine of the local hosts (default: the settings file's)")
    sub = parser.add_subparsers(dest="command", required=True)

    hosts = sub.add_parser("hosts", help="local test hosts db01, air01, client01, bak01 as systemd containers")
    hosts.add_argument("action", choices=("up", "down"))
    hosts.add_argument("--purge-image", action="store_true", help="with down: also remove the cached base image")
    hosts.add_argument(
        "--inventory",
        type=Path,
        help="inventory to write (default: inventories/local/hosts.yml); its SSH key beside it",
    )
    hosts.set_defaults(func=commands.hosts.run)

    image = sub.add_parser("image", help="build the base image if missing and print its name (molecule uses it)")
    image.add_argument("--distribution", choices=DISTRIBUTIONS, help="Debian release (default: the settings file's)")
    image.set_defaults(func=commands.image.run)

    bench = sub.add_parser(
        "bench", help="medians of several runs: site.yml cold/floor/no-op, DAG deploy latency, workers"
    )
    bench.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="site (fresh hosts each run, next to a bare install) and/or dags (on the local hosts); default: both; "
        "or gpu alone (pg_strom on/off, star-join aggregates; needs --inventory or --dsn), or workers alone (the "
        "same CPU-bound tasks on one Celery worker and on two; needs two airflow_workers hosts in mlopsctl.toml)",
    )
    bench.add_argument("--runs", type=int, default=3, help="runs of each timed step (3 or more; medians)")
    bench.add_argument("--drops", type=int, default=5, help="DAG files dropped for Airflow's own pick-up (5 or more)")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the medians as JSON")
    bench.add_argument("--inventory", type=Path, help="gpu: the inventory whose first db host runs the benchmark")
    bench.add_argument("--dsn", help="gpu: a superuser's connection string to any PostgreSQL server with pg_strom")
    bench.add_argument("--scale", type=float, default=1.0, help="gpu: star schema scale factor (1 = 6 M fact rows)")
    bench.add_argument("--seed", type=int, default=1, help="gpu: seed the data is derived from")
    bench.add_argument("--workers", type=int, help="gpu: parallel CPU workers in both modes (default: every CPU)")
    bench.set_defaults(func=commands.bench.run)

    docs = sub.add_parser(
        "docs",
        help="regenerate role READMEs, the Terraform variables tables, the reference pages and the Grafana dashboard",
    )
    # The reference page of mlopsctl's commands is generated from this very parser.
    docs.set_defaults(func=functools.partial(commands.docs.run, parser=parser))

    shots = sub.add_parser("screenshots", help="the docs' pictures of the Airflow UI, from the local demo (or --url)")
    shots.add_argument("--url", help="another platform's Airflow URL (its admin password beside --inventory)")
    shots.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    shots.add_argument("--out", type=Path, help="directory for the PNG files (default: ROOT/docs/assets/screenshots)")
    shots.set_defaults(func=commands.screenshots.run)

    converge = sub.add_parser("converge", help="run site.yml against the local hosts (or --inventory)")
    converge.add_argument("--inventory", type=Path)
    converge.add_argument("ansible_args", nargs="*", help=argparse.SUPPRESS)
    converge.set_defaults(func=commands.converge.run)

    rotate = sub.add_parser("secrets", help="rotate a generated secret explicitly and converge the platform with it")
    rotate.add_argument("action", choices=("rotate",))
    rotate.add_argument("name", choices=tuple(secrets.ROTATABLE), help="the secret to replace")
    rotate.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    rotate.add_argument("ansible_args", nargs="*", help=argparse.SUPPRESS)
    rotate.set_defaults(func=commands.secrets.run)

    up = sub.add_parser("up", help="hosts up, site.yml converged, the example DAG run once, access details printed")
    up.add_argument("--run", default=DEMO_DAG, metavar="DAG_ID", help=f"DAG to run after the deploy ({DEMO_DAG})")
    up.add_argument("--no-run", action="store_true", help="deploy the DAGs without running one")
    # The cluster root is applied in stages by `mlopsctl infra` (terraform/README.md), not by `up`.
    vm_clouds = tuple(c for c in CLOUDS if c != k8s.K8S_CLOUD)
    up.add_argument("--cloud", choices=vm_clouds, help="cloud VMs from terraform/<cloud> instead of the local hosts")
    up.set_defaults(func=commands.up.run)

    infra = sub.add_parser("infra", help="cloud VMs with Terraform (terraform/<cloud>) and their Ansible inventory")
    infra.add_argument("action", choices=("plan", "apply", "destroy", "inventory"))
    infra.add_argument("--cloud", choices=CLOUDS, required=True)
    infra.add_argument("--outputs", type=Path, help="with inventory: a recorded `terraform output -json` file")
    infra.add_argument("--yes", action="store_true", help="with destroy: do not ask for confirmation")
    infra.add_argument(
        "--stage",
        action="append",
        choices=tuple(k8s.STAGES),
        help=f"--cloud {k8s.K8S_CLOUD}: run these stages in order (apply default: cluster, gateway; then all)",
    )
    infra.set_defaults(func=commands.infra.run)

    kube = sub.add_parser("k8s", help="Airflow in Kubernetes: the namespace and Secrets its chart reads")
    kube.add_argument("action", choices=("secrets",))
    kube.add_argument(
        "--sslmode",
        default="verify-full",
        choices=k8s.SSLMODES,
        help="of the database connections (verify-full: db01's certificate checked against the platform CA)",
    )
    kube.set_defaults(func=commands.k8s.run)

    dags = sub.add_parser("dags", help="deploy dags/ to Airflow (import-checked, atomic) or roll back one release")
    dags.add_argument("action", choices=("deploy", "rollback"))
    dags.add_argument("--source", type=Path, help="directory of DAGs to ship (default: the checkout's dags/)")
    dags.add_argument("--run", default="", metavar="DAG_ID", help="unpause and trigger this DAG, wait for success")
    dags.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    dags.add_argument(
        "--ssh-user", default="", metavar="USER", help="log in as this deploy account (mlops_deploy_ssh_user), not root"
    )
    dags.add_argument("--ssh-key", type=Path, metavar="FILE", help="private key of the deploy account")
    dags.add_argument(
        "--target", choices=("vm", "k8s"), default="vm", help="k8s: move the Git ref the cluster's DAG bundle tracks"
    )
    dags.add_argument("--report", type=Path, help="with --target k8s deploy: dotenv file for the rollback job")
    dags.add_argument("--dags-python", type=Path, help="with --target k8s: Python of .venv-dags (default)")
    dags.set_defaults(func=commands.dags.run)

    acc = sub.add_parser("access", help="an ML user's connection details for the data warehouse (mlops_ml_users)")
    acc.add_argument("name", help="the account's name in mlops_ml_users")
    acc.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    acc.add_argument(
        "--show-password", action="store_true", help="also print the generated first password (not on a shared screen)"
    )
    acc.set_defaults(func=commands.access.run)

    dbc = sub.add_parser(
        "db", help="PostgreSQL backup now, point-in-time restore, or the restore drill (pgBackRest, the backup host)"
    )
    dbc.add_argument("action", choices=db.ACTIONS)
    dbc.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    dbc.add_argument("--type", choices=db.BACKUP_TYPES, help="backup: full (default), diff or incr")
    dbc.add_argument(
        "--to", metavar="TIMESTAMP", help=f"restore: this time, ISO 8601, UTC without offset ({db.TIME_EXAMPLE})"
    )
    dbc.add_argument("--latest", action="store_true", help="restore: the newest state the WAL archive holds")
    dbc.add_argument("--remove-old", action="store_true", help="restore: delete the set-aside data directory once up")
    dbc.set_defaults(func=commands.db.run)

    add_release(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` goes to ansible-playbook, wherever the command's own arguments and options stand.
    passthrough = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = build_parser()
    args = parser.parse_args(argv[: len(argv) - len(passthrough) - 1] if "--" in argv else argv)
    if passthrough:
        if not hasattr(args, "ansible_args"):
            parser.error("arguments after -- are passed to ansible-playbook; this command runs none")
        args.ansible_args = [*args.ansible_args, *passthrough]
    try:
        if args.root is not None and not is_checkout(args.root):
            raise ConfigError(
                f"--root {args.root} is not a checkout of the platform (no site.yml and ansible.cfg there)"
            )
        args.root = (args.root or find_root(Path.cwd())).resolve()
        # A settings file named on the command line must exist: a typo must not silently mean the default hosts.
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"--config {args.config} is not an existing file; fix the path or leave --config out")
        args.config = args.config or args.root / "mlopsctl.toml"
        return args.func(args)
    except (ConfigError, CommandError) as exc:
        say(f"mlopsctl: error: {exc}")
        return 2
    except OSError as exc:
        # A path given on the command line that cannot be read or written: one line, not a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"mlopsctl: error: {where}{exc.strerror or exc}; check the path and its permissions")
        return 2
    except KeyboardInterrupt:
        say("mlopsctl: interrupted; run the same command again to finish (it is idempotent)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
