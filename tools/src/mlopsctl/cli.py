"""Command line: a thin layer over plain functions; errors end with what to do next."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from mlopsctl import db, k8s, secrets
from mlopsctl.bench import bench_site, site_report
from mlopsctl.bench_dags import Api, bench_dag_delivery, dags_report
from mlopsctl.bench_gpu import bench_gpu
from mlopsctl.config import DISTRIBUTIONS, ENGINES, ConfigError, LocalConfig, load_config, require_platform_groups
from mlopsctl.docs import write_reference_pages, write_role_readmes, write_terraform_readme
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


def local_settings(args: argparse.Namespace) -> LocalConfig:
    """The [local] settings, with --engine in place of the file's engine when given."""
    cfg = load_config(args.config)
    return dataclasses.replace(cfg, engine=args.engine) if args.engine else cfg


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


def _published_https(root: Path, cfg: LocalConfig) -> tuple[dict[str, Any], list[tuple[Any, int]]]:
    """group_vars/airflow.yml and, per airflow host, the machine port its HTTPS port (nginx) is published on."""
    group_vars = yaml.safe_load((root / "group_vars/airflow.yml").read_text()) or {}
    https_port = int(group_vars.get("airflow_https_port", 443))
    found = []
    for spec in cfg.hosts:
        published = [m for m, h in spec.publish if h == https_port]
        if "airflow" in spec.groups and published:
            found.append((spec, published[0]))
    return group_vars, found


def access_summary(root: Path, cfg: LocalConfig, inventory: Path) -> list[str]:
    """How to reach what was deployed: URLs on this machine and where the generated secrets are."""
    group_vars, published = _published_https(root, cfg)
    secrets = inventory.parent / ".secrets"
    lines = []
    for spec, port in published:
        lines.append(f"Airflow UI/API: https://localhost:{port}  (on {spec.name})")
        lines.append(f"  certificate:  signed by the platform CA {secrets / 'ca/ca.crt'} (import it to trust it)")
        lines.append(f"  admin user:   {group_vars.get('airflow_admin_user', 'admin')}")
        lines.append(f"  password:     {secrets / 'airflow_admin_password'}  (generated; never printed)")
        lines.append(
            f"  DAG delivery: user deployer (role Deployer), password in {secrets / 'airflow_password_deployer'}"
        )
    db_hosts = [h for h in cfg.hosts if "db" in h.groups]
    if db_hosts:
        lines.append(
            f"PostgreSQL:     {db_hosts[0].name} ({db_hosts[0].ip}:5432), TLS only, from the airflow hosts only"
        )
        lines.append(f"  passwords:    {secrets}/postgresql_*_password")
    return lines


def cmd_hosts(args: argparse.Namespace) -> int:
    cfg = local_settings(args)
    engine = detect_engine(cfg.engine)
    inventory = args.inventory or local_inventory(args.root)
    if args.action == "up":
        report = hosts_up(engine, cfg, inventory, args.root / ".mlops/logs")
        say("hosts are up; nothing changed" if not report.changes else f"hosts are up; {len(report.changes)} change(s)")
    else:
        report = hosts_down(engine, cfg, inventory, purge_image=args.purge_image)
        say("nothing to remove" if not report.changes else f"removed {len(report.changes)} thing(s)")
    return 0


def cmd_image(args: argparse.Namespace) -> int:
    cfg = local_settings(args)
    if args.distribution:
        cfg = dataclasses.replace(cfg, distribution=args.distribution)
    print(ensure_image(detect_engine(cfg.engine), cfg, args.root / ".mlops/logs"))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    changed = write_role_readmes(args.root) + write_terraform_readme(args.root) + write_reference_pages(args.root)
    say(
        "\n".join(f"written: {p.relative_to(args.root)}" for p in changed)
        or "role and Terraform READMEs and the site's reference pages are up to date"
    )
    return 0


def local_api(root: Path, cfg: LocalConfig, inventory: Path) -> tuple[str, Api]:
    """The local airflow host and its API on the published HTTPS port, logged in as the generated admin."""
    group_vars, published = _published_https(root, cfg)
    if not published:
        raise ConfigError("bench dags: no airflow host in the settings publishes the HTTPS port (443)")
    spec, port = published[0]
    secrets = inventory.parent / ".secrets"
    secret = secrets / "airflow_admin_password"
    if not secret.is_file():
        raise CommandError(f"{secret} is missing: run `mlopsctl up` before `mlopsctl bench dags`")
    user = group_vars.get("airflow_admin_user", "admin")
    return spec.name, Api(f"https://localhost:{port}", user, secret.read_text().strip(), str(secrets / "ca/ca.crt"))


BENCH_TARGETS = ("site", "dags")


def bench_json(site: dict[str, list[float]] | None, dags: dict[str, list[float]] | None) -> dict[str, float]:
    """The figures as `mlopsctl bench --json` writes them: medians in seconds."""
    out: dict[str, float] = {}
    if site:
        for key, name in (("cold", "site_cold_s"), ("floor", "site_floor_s"), ("noop", "site_noop_s")):
            out[name] = round(statistics.median(site[key]), 1)
        out["site_noop_changed"] = max(site["noop_changed"])
    if dags:
        for key, name in (
            ("deploy", "dags_deploy_new_s"),
            ("rerun", "dags_deploy_noop_s"),
            ("pickup", "dags_airflow_pickup_s"),
        ):
            out[name] = round(statistics.median(dags[key]), 1)
    return out


def cmd_bench(args: argparse.Namespace) -> int:
    if "gpu" in args.targets:
        # pg_strom on and off on a db host with a GPU (--inventory) or any server with pg_strom (--dsn).
        if args.targets != ["gpu"]:
            raise ConfigError("bench: gpu runs on its own (on --inventory's db host or --dsn), not with other targets")
        print(bench_gpu(args.inventory, args.dsn, args.scale, args.seed, args.runs, args.workers))
        return 0
    targets = args.targets or list(BENCH_TARGETS)
    unknown = sorted(set(targets) - set(BENCH_TARGETS))
    if unknown:
        raise ConfigError(f"bench: unknown target(s) {', '.join(unknown)}; known: {', '.join(BENCH_TARGETS)}")
    if args.runs < 3 or args.drops < 5:
        raise ConfigError("bench: medians need --runs 3 or more and --drops 5 or more")
    cfg = local_settings(args)
    engine = detect_engine(cfg.engine)
    api = None
    if "dags" in targets:
        # Checked first: a missing platform is reported before minutes of site runs.
        host, api = local_api(args.root, cfg, local_inventory(args.root))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook")]
    os.environ["ANSIBLE_CONFIG"] = str(args.root / "ansible.cfg")
    lines: list[str] = []
    site = dags = None
    if "site" in targets:
        site = bench_site(engine, cfg, args.root, cmd, args.runs)
        lines += site_report(site)
    if api is not None:
        dags = bench_dag_delivery(engine, args.root, local_inventory(args.root), cmd, api, host, args.runs, args.drops)
        lines += dags_report(dags)
    say("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(bench_json(site, dags), indent=2) + "\n")
        say(f"figures written: {args.json}")
    return 0


def cmd_converge(args: argparse.Namespace) -> int:
    ansible_playbook(args.root, args.inventory or local_inventory(args.root), "site.yml", args.ansible_args)
    return 0


def cmd_secrets(args: argparse.Namespace) -> int:
    inventory = args.inventory or local_inventory(args.root)
    previous = secrets.rotate(
        inventory.parent / ".secrets",
        args.name,
        lambda playbook, extra: ansible_playbook(args.root, inventory, playbook, extra),
        args.ansible_args,
    )
    say(f"{args.name} rotated; the previous value is kept in {previous} until you delete it")
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
    if args.cloud == k8s.K8S_CLOUD and args.action != "destroy":
        # The cluster root applies in stages (terraform/README.md): the chart stage needs db01 converged and the
        # Secrets of `mlopsctl k8s secrets` first, so a plain apply stops after the gateway stage.
        binary = terraform_binary()
        default = ("cluster", "gateway") if args.action == "apply" else ("all",)
        for stage in args.stage or default:
            run_terraform(k8s.cluster_commands(binary, workdir, args.action, stage))
        if args.action == "apply":
            path = k8s.write_kubeconfig(terraform_outputs(binary, workdir), k8s.inventory_secrets_dir(args.root))
            say(f"kubeconfig written: {path.relative_to(args.root)}")
            cloud_inventory(args.root, args.cloud, None)
        return 0
    run_terraform(terraform_commands(terraform_binary(), workdir, args.action, auto_approve=args.yes))
    if args.action == "apply":
        cloud_inventory(args.root, args.cloud, None)
    return 0


def cmd_k8s(args: argparse.Namespace) -> int:
    outputs = terraform_outputs(terraform_binary(), cloud_dir(args.root, k8s.K8S_CLOUD))
    manifests = k8s.secrets_from_outputs(args.root, outputs, os.environ, args.sslmode)
    k8s.apply_manifests(k8s.inventory_secrets_dir(args.root) / k8s.KUBECONFIG_NAME, manifests)
    say(f"namespace {k8s.NAMESPACE} and {len(manifests) - 1} Secrets applied")
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
    cfg = local_settings(args)
    require_platform_groups(cfg)
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
    if args.target == "k8s":
        if args.action == "deploy":
            python = str(args.dags_python or args.root / ".venv-dags/bin/python")
            commit = k8s.deploy_from_env(args.root, os.environ, python, args.report)
            say(f"DAGs of {commit[:12]} are live in the cluster")
        else:
            say(f"the tracked ref is back at {k8s.rollback_from_env(args.root, os.environ)[:12]}")
        return 0
    rollback = args.action == "rollback"
    extra = dags_extra_vars(source=args.source, run=args.run, rollback=rollback)
    ansible_playbook(args.root, args.inventory or local_inventory(args.root), "playbooks/dags.yml", extra)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    run = db.plan(args.action, args.type, args.to, args.latest, args.remove_old)
    start = time.monotonic()
    say(f"==> {run.title}")
    ansible_playbook(args.root, args.inventory or local_inventory(args.root), run.playbook, run.args())
    say(f"{run.title}: done in {time.monotonic() - start:.0f}s (the report is the last task's message above)")
    return 0


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
    hosts.set_defaults(func=cmd_hosts)

    image = sub.add_parser("image", help="build the base image if missing and print its name (molecule uses it)")
    image.add_argument("--distribution", choices=DISTRIBUTIONS, help="Debian release (default: the settings file's)")
    image.set_defaults(func=cmd_image)

    bench = sub.add_parser("bench", help="medians of several runs: site.yml cold/floor/no-op, DAG deploy latency")
    bench.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="site (fresh hosts each run, next to a bare install) and/or dags (on the local hosts); default: both; "
        "or gpu alone (pg_strom on/off, star-join aggregates; needs --inventory or --dsn)",
    )
    bench.add_argument("--runs", type=int, default=3, help="runs of each timed step (3 or more; medians)")
    bench.add_argument("--drops", type=int, default=5, help="DAG files dropped for Airflow's own pick-up (5 or more)")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the medians as JSON")
    bench.add_argument("--inventory", type=Path, help="gpu: the inventory whose first db host runs the benchmark")
    bench.add_argument("--dsn", help="gpu: a superuser's connection string to any PostgreSQL server with pg_strom")
    bench.add_argument("--scale", type=float, default=1.0, help="gpu: star schema scale factor (1 = 6 M fact rows)")
    bench.add_argument("--seed", type=int, default=1, help="gpu: seed the data is derived from")
    bench.add_argument("--workers", type=int, help="gpu: parallel CPU workers in both modes (default: every CPU)")
    bench.set_defaults(func=cmd_bench)

    docs = sub.add_parser("docs", help="regenerate role READMEs (argument specs) and the Terraform variables tables")
    docs.set_defaults(func=cmd_docs)

    converge = sub.add_parser("converge", help="run site.yml against the local hosts (or --inventory)")
    converge.add_argument("--inventory", type=Path)
    converge.add_argument("ansible_args", nargs="*", help=argparse.SUPPRESS)
    converge.set_defaults(func=cmd_converge)

    rotate = sub.add_parser("secrets", help="rotate a generated secret explicitly and converge the platform with it")
    rotate.add_argument("action", choices=("rotate",))
    rotate.add_argument("name", choices=tuple(secrets.ROTATABLE), help="the secret to replace")
    rotate.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    rotate.add_argument("ansible_args", nargs="*", help=argparse.SUPPRESS)
    rotate.set_defaults(func=cmd_secrets)

    up = sub.add_parser("up", help="hosts up, site.yml converged, the example DAG run once, access details printed")
    up.add_argument("--run", default=DEMO_DAG, metavar="DAG_ID", help=f"DAG to run after the deploy ({DEMO_DAG})")
    up.add_argument("--no-run", action="store_true", help="deploy the DAGs without running one")
    # The cluster root is applied in stages by `mlopsctl infra` (terraform/README.md), not by `up`.
    vm_clouds = tuple(c for c in CLOUDS if c != k8s.K8S_CLOUD)
    up.add_argument("--cloud", choices=vm_clouds, help="cloud VMs from terraform/<cloud> instead of the local hosts")
    up.set_defaults(func=cmd_up)

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
    infra.set_defaults(func=cmd_infra)

    kube = sub.add_parser("k8s", help="Airflow in Kubernetes: the namespace and Secrets its chart reads")
    kube.add_argument("action", choices=("secrets",))
    kube.add_argument("--sslmode", default="require", choices=k8s.SSLMODES, help="of the database connections")
    kube.set_defaults(func=cmd_k8s)

    dags = sub.add_parser("dags", help="deploy dags/ to Airflow (import-checked, atomic) or roll back one release")
    dags.add_argument("action", choices=("deploy", "rollback"))
    dags.add_argument("--source", type=Path, help="directory of DAGs to ship (default: the checkout's dags/)")
    dags.add_argument("--run", default="", metavar="DAG_ID", help="unpause and trigger this DAG, wait for success")
    dags.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    dags.add_argument(
        "--target", choices=("vm", "k8s"), default="vm", help="k8s: move the Git ref the cluster's DAG bundle tracks"
    )
    dags.add_argument("--report", type=Path, help="with --target k8s deploy: dotenv file for the rollback job")
    dags.add_argument("--dags-python", type=Path, help="with --target k8s: Python of .venv-dags (default)")
    dags.set_defaults(func=cmd_dags)

    dbc = sub.add_parser("db", help="PostgreSQL backup now, or point-in-time restore (pgBackRest, the backup host)")
    dbc.add_argument("action", choices=db.ACTIONS)
    dbc.add_argument("--inventory", type=Path, help="inventory (default: the local hosts)")
    dbc.add_argument("--type", choices=db.BACKUP_TYPES, help="backup: full (default), diff or incr")
    dbc.add_argument(
        "--to", metavar="TIMESTAMP", help=f"restore: this time, ISO 8601, UTC without offset ({db.TIME_EXAMPLE})"
    )
    dbc.add_argument("--latest", action="store_true", help="restore: the newest state the WAL archive holds")
    dbc.add_argument("--remove-old", action="store_true", help="restore: delete the set-aside data directory once up")
    dbc.set_defaults(func=cmd_db)
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
