"""Command line: a thin layer over plain functions; errors end with what to do next."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

from mlopsctl.bench import FLOORS as BENCH_ROLES
from mlopsctl.bench import bench_role, report
from mlopsctl.bench_dags import Api, bench_dag_delivery, dags_report
from mlopsctl.config import ConfigError, LocalConfig, load_config
from mlopsctl.docs import write_role_readmes, write_terraform_readme
from mlopsctl.engine import EngineError, detect_engine
from mlopsctl.hosts import hosts_down, hosts_up
from mlopsctl.image import ensure_image
from mlopsctl.infra import (
    CLOUDS,
    cloud_dir,
    inventory_from_outputs,
    parse_outputs,
    run_terraform,
    terraform_binary,
    terraform_commands,
    terraform_outputs,
    write_cloud_inventory,
)
from mlopsctl.progress import CommandError, say, step

COLLECTION = Path("collections/ansible_collections/datatech/mlops")
# The platform's parts and the file that delivers each; a missing one is reported, not faked.
PARTS = (
    ("PostgreSQL on db01", COLLECTION / "roles/postgresql"),
    ("Airflow on air01", COLLECTION / "roles/airflow"),
    ("DAG delivery (example DAGs deployed to Airflow)", Path("playbooks/dags.yml")),
)


def find_root(start: Path) -> Path:
    """The checkout: the nearest directory up from `start` holding site.yml and ansible.cfg."""
    for candidate in (start, *start.parents, *Path(__file__).resolve().parents):
        if (candidate / "site.yml").is_file() and (candidate / "ansible.cfg").is_file():
            return candidate
    raise ConfigError("no checkout found: run mlopsctl inside the repository (where site.yml is) or pass --root")


def local_inventory(root: Path) -> Path:
    return root / "inventories/local/hosts.yml"


def ansible_playbook(root: Path, inventory: Path, playbook: str, extra: list[str]) -> None:
    """Run a playbook with the checkout's ansible.cfg, streaming Ansible's own progress."""
    if not inventory.is_file():
        raise CommandError(f"inventory {inventory} does not exist: run `mlopsctl hosts up` first")
    binary = Path(sys.executable).parent / "ansible-playbook"
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg")}
    cmd = [str(binary if binary.exists() else "ansible-playbook"), "-i", str(inventory), playbook, *extra]
    with step(f"ansible-playbook {playbook}"):
        code = subprocess.run(cmd, cwd=root, env=env).returncode
    if code != 0:
        raise CommandError(
            f"{playbook} failed (exit {code}); the failed task is printed above. "
            "Fix it and run the same command again: every step is idempotent."
        )


# The example DAG `mlopsctl up` runs once, so a fresh platform ends with results in the data warehouse.
DEMO_DAG = "iris_training"
DAG_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def dags_extra_vars(source: Path | None = None, run: str = "", rollback: bool = False) -> list[str]:
    """ansible-playbook arguments for the delivery role, checked before anything runs."""
    extra: dict[str, object] = {}
    if rollback and source:
        raise ConfigError("dags: a rollback returns to the previous release; it takes no --source")
    if source is not None:
        if not source.is_dir() or not any(source.glob("*.py")):
            raise ConfigError(f"dags: {source} is not a directory with .py DAG files; pass --source DIR")
        extra["dags_source_dir"] = str(source.resolve())
    if run:
        if not DAG_ID.match(run):
            raise ConfigError(f"dags: --run {run!r} is not a DAG id (letters, digits, _ . -)")
        extra["dags_run"] = run
    if rollback:
        extra["dags_rollback"] = True
    return ["-e", json.dumps(extra)] if extra else []


def results_hint(cfg: LocalConfig, engine: str, dag_id: str) -> list[str]:
    """Where the demo run's results are, as a command that reads them from PostgreSQL on the db host."""
    db_hosts = [h.name for h in cfg.hosts if "db" in h.groups]
    if not db_hosts:
        return []
    query = "SELECT run_id, dataset, accuracy, f1_macro, trained_at FROM ml.model_runs ORDER BY trained_at"
    return [
        f"{dag_id} ran once; its metrics are in the dwh database on {db_hosts[0]}:",
        f'  {engine} exec {db_hosts[0]} runuser -u postgres -- psql -d dwh -c "{query}"',
    ]


def missing_parts(root: Path) -> list[str]:
    return [title for title, path in PARTS if not (root / path).exists()]


def access_summary(root: Path, cfg: LocalConfig, inventory: Path) -> list[str]:
    """How to reach what was deployed: URLs on this machine and where the generated secrets are."""
    group_vars = yaml.safe_load((root / "group_vars/airflow.yml").read_text()) or {}
    api_port = int(group_vars.get("airflow_api_port", 8080))
    secrets = inventory.parent / ".secrets"
    lines = []
    for spec in cfg.hosts:
        published = [m for m, h in spec.publish if h == api_port]
        if "airflow" in spec.groups and published:
            lines.append(f"Airflow UI/API: http://{cfg.publish_address}:{published[0]}  (on {spec.name})")
            lines.append(f"  admin user:   {group_vars.get('airflow_admin_user', 'admin')}")
            lines.append(f"  password:     {secrets / 'airflow_admin_password'}  (generated; never printed)")
    db_hosts = [h for h in cfg.hosts if "db" in h.groups]
    if db_hosts:
        lines.append(
            f"PostgreSQL:     {db_hosts[0].name} ({db_hosts[0].ip}:5432), reachable from the airflow hosts only"
        )
        lines.append(f"  passwords:    {secrets}/postgresql_*_password")
    return lines


def cmd_hosts(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    engine = detect_engine(cfg.engine)
    inventory = local_inventory(args.root)
    if args.action == "up":
        report = hosts_up(engine, cfg, inventory, args.root / ".mlops/logs")
        say("hosts are up; nothing changed" if not report.changes else f"hosts are up; {len(report.changes)} change(s)")
    else:
        report = hosts_down(engine, cfg, inventory, purge_image=args.purge_image)
        say("nothing to remove" if not report.changes else f"removed {len(report.changes)} thing(s)")
    return 0


def cmd_image(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    print(ensure_image(detect_engine(cfg.engine), cfg, args.root / ".mlops/logs"))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    changed = write_role_readmes(args.root) + write_terraform_readme(args.root)
    say(
        "\n".join(f"written: {p.relative_to(args.root)}" for p in changed)
        or "role and Terraform READMEs are up to date"
    )
    return 0


def local_api(root: Path, cfg: LocalConfig, inventory: Path) -> tuple[str, Api]:
    """The local airflow host and its API on the published port, logged in as the generated admin."""
    group_vars = yaml.safe_load((root / "group_vars/airflow.yml").read_text()) or {}
    api_port = int(group_vars.get("airflow_api_port", 8080))
    for spec in cfg.hosts:
        published = [m for m, h in spec.publish if h == api_port]
        if "airflow" in spec.groups and published:
            secret = inventory.parent / ".secrets/airflow_admin_password"
            if not secret.is_file():
                raise CommandError(f"{secret} is missing: run `mlopsctl up` before `mlopsctl bench dags`")
            url = f"http://{cfg.publish_address}:{published[0]}"
            return spec.name, Api(url, group_vars.get("airflow_admin_user", "admin"), secret.read_text().strip())
    raise ConfigError(f"bench dags: no airflow host in the settings publishes the API port {api_port}")


def cmd_bench(args: argparse.Namespace) -> int:
    known = [*BENCH_ROLES, "dags"]
    roles = args.roles or list(BENCH_ROLES)
    unknown = sorted(set(roles) - set(known))
    if unknown:
        raise ConfigError(f"bench: unknown role(s) {', '.join(unknown)}; known: {', '.join(known)}")
    cfg = load_config(args.config)
    engine = detect_engine(cfg.engine)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook")]
    os.environ["ANSIBLE_CONFIG"] = str(args.root / "ansible.cfg")
    version = (yaml.safe_load((args.root / "group_vars/airflow.yml").read_text()) or {}).get("airflow_version", "")
    lines = [report(role, bench_role(role, engine, cfg, args.root, cmd, version)) for role in roles if role != "dags"]
    if "dags" in roles:
        inventory = local_inventory(args.root)
        host, api = local_api(args.root, cfg, inventory)
        lines.append(dags_report(bench_dag_delivery(engine, args.root, inventory, cmd, api, host)))
    print("\n".join(lines))
    return 0


def cmd_converge(args: argparse.Namespace) -> int:
    ansible_playbook(args.root, args.inventory or local_inventory(args.root), "site.yml", args.ansible_args)
    return 0


def cloud_inventory(root: Path, cloud: str, outputs_file: Path | None) -> Path:
    """inventories/<cloud>/hosts.yml from recorded outputs (a file) or from the cloud root's state."""
    workdir = cloud_dir(root, cloud)
    if outputs_file is not None:
        if not outputs_file.is_file():
            raise ConfigError(f"infra inventory: {outputs_file} does not exist")
        outputs = parse_outputs(outputs_file.read_text(), source=str(outputs_file))
    else:
        outputs = terraform_outputs(terraform_binary(), workdir)
    path = write_cloud_inventory(root, cloud, inventory_from_outputs(outputs, source=f"outputs of {cloud}"))
    say(f"inventory written: {path.relative_to(root)}")
    return path


def cmd_infra(args: argparse.Namespace) -> int:
    if args.action == "inventory":
        cloud_inventory(args.root, args.cloud, args.outputs)
        return 0
    workdir = cloud_dir(args.root, args.cloud)
    run_terraform(terraform_commands(terraform_binary(), workdir, args.action, auto_approve=args.yes))
    if args.action == "apply":
        cloud_inventory(args.root, args.cloud, None)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    start = time.monotonic()
    run = "" if args.no_run else args.run
    if args.cloud:
        # Cloud VMs: infra apply, the inventory from its outputs, then the same site.yml as the local hosts.
        workdir = cloud_dir(args.root, args.cloud)
        run_terraform(terraform_commands(terraform_binary(), workdir, "apply"))
        inventory = cloud_inventory(args.root, args.cloud, None)
        ansible_playbook(args.root, inventory, "site.yml", dags_extra_vars(run=run))
        say(f"\nPlatform converged on {args.cloud} in {time.monotonic() - start:.0f}s; inventory {inventory}")
        return 0
    cfg = load_config(args.config)
    engine = detect_engine(cfg.engine)
    inventory = local_inventory(args.root)
    hosts_up(engine, cfg, inventory, args.root / ".mlops/logs")
    ansible_playbook(args.root, inventory, "site.yml", dags_extra_vars(run=run))
    say(f"\nPlatform converged in {time.monotonic() - start:.0f}s.")
    for line in access_summary(args.root, cfg, inventory) + (results_hint(cfg, engine.name, run) if run else []):
        say(line)
    for part in missing_parts(args.root):
        say(f"not yet part of the platform: {part} (see the open issues)")
    return 0


def cmd_dags(args: argparse.Namespace) -> int:
    rollback = args.action == "rollback"
    extra = dags_extra_vars(source=args.source, run=args.run, rollback=rollback)
    ansible_playbook(args.root, args.inventory or local_inventory(args.root), "playbooks/dags.yml", extra)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlopsctl", description="Provision the ML data platform.")
    parser.add_argument("--root", type=Path, help="the checkout (default: found from the current directory)")
    parser.add_argument("--config", type=Path, help="settings file (default: ROOT/mlopsctl.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    hosts = sub.add_parser("hosts", help="local test hosts db01, air01, client01 as systemd containers")
    hosts.add_argument("action", choices=("up", "down"))
    hosts.add_argument("--purge-image", action="store_true", help="with down: also remove the cached base image")
    hosts.set_defaults(func=cmd_hosts)

    image = sub.add_parser("image", help="build the base image if missing and print its name (molecule uses it)")
    image.set_defaults(func=cmd_image)

    bench = sub.add_parser("bench", help="cold converge and re-run vs. a bare install; DAG deploy latency")
    bench.add_argument(
        "roles",
        nargs="*",
        metavar="ROLE",
        help="postgresql, airflow (fresh hosts each; default: both) and/or dags (deploy latency on the local hosts)",
    )
    bench.set_defaults(func=cmd_bench)

    docs = sub.add_parser("docs", help="regenerate role READMEs (argument specs) and the Terraform variables tables")
    docs.set_defaults(func=cmd_docs)

    converge = sub.add_parser("converge", help="run site.yml against the local hosts (or --inventory)")
    converge.add_argument("--inventory", type=Path)
    converge.add_argument("ansible_args", nargs="*", help="passed to ansible-playbook after --")
    converge.set_defaults(func=cmd_converge)

    up = sub.add_parser("up", help="hosts up, site.yml converged, the example DAG run once, access details printed")
    up.add_argument("--run", default=DEMO_DAG, metavar="DAG_ID", help=f"DAG to run after the deploy ({DEMO_DAG})")
    up.add_argument("--no-run", action="store_true", help="deploy the DAGs without running one")
    up.add_argument("--cloud", choices=CLOUDS, help="cloud VMs from terraform/<cloud> instead of the local hosts")
    up.set_defaults(func=cmd_up)

    infra = sub.add_parser("infra", help="cloud VMs with Terraform (terraform/<cloud>) and their Ansible inventory")
    infra.add_argument("action", choices=("plan", "apply", "destroy", "inventory"))
    infra.add_argument("--cloud", choices=CLOUDS, required=True)
    infra.add_argument("--outputs", type=Path, help="with inventory: a recorded `terraform output -json` file")
    infra.add_argument("--yes", action="store_true", help="with destroy: do not ask for confirmation")
    infra.set_defaults(func=cmd_infra)

    dags = sub.add_parser("dags", help="deploy dags/ to Airflow (import-checked, atomic) or roll back one release")
    dags.add_argument("action", choices=("deploy", "rollback"))
    dags.add_argument("--source", type=Path, help="directory of DAGs to ship (default: the checkout's dags/)")
    dags.add_argument("--run", default="", metavar="DAG_ID", help="unpause and trigger this DAG, wait for success")
    dags.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    dags.set_defaults(func=cmd_dags)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.root = (args.root or find_root(Path.cwd())).resolve()
        args.config = args.config or args.root / "mlopsctl.toml"
        return args.func(args)
    except (ConfigError, EngineError, CommandError) as exc:
        say(f"mlopsctl: error: {exc}")
        return 2
    except KeyboardInterrupt:
        say("mlopsctl: interrupted; run the same command again to finish (it is idempotent)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
