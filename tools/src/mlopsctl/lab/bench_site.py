"""`mlopsctl bench site`, as medians of several runs: site.yml cold on fresh hosts next to a bare install of the same
packages (the floor), and the no-op re-run."""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

from mlopsctl.checkout import LOGS, ROLES
from mlopsctl.errors import CommandError
from mlopsctl.lab.bench import bench_playbook, row
from mlopsctl.lab.config import RELEASES, LocalConfig, parse_local
from mlopsctl.lab.engine import Engine
from mlopsctl.lab.hosts import hosts_down, hosts_up
from mlopsctl.progress import say

LABEL = "mlopsbench"
AIRFLOW_CONSTRAINTS = ROLES / "airflow/files/constraints-{airflow}-py{python}.txt"
# The floor's db host installs exactly what the postgresql role installs (the release's PostgreSQL), with the library
# platform_ca signs the host's certificate with.
FLOOR_DB = (
    "apt-get update -q && apt-get install -y -q --no-install-recommends "
    "postgresql-{pg} postgresql-client-{pg} python3-psycopg2 acl python3-cryptography"
)
# ... and its airflow host what the airflow role installs, the way it installs it: uv into a venv, then the packages,
# and nginx, the HTTPS proxy in front of the API server.
FLOOR_AIRFLOW = (
    "apt-get update -q && apt-get install -y -q --no-install-recommends python3-venv python3-packaging acl "
    "python3-cryptography nginx-light "
    "&& python3 -m venv /opt/floor && export PIP_CERT=/etc/ssl/certs/ca-certificates.crt "
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt && /opt/floor/bin/pip install -q --no-cache-dir "
    "--disable-pip-version-check uv=={uv} && /opt/floor/bin/uv pip install -q --python /opt/floor/bin/python "
    "--no-cache --constraint /root/constraints.txt {packages}"
)


def bench_config(base: LocalConfig, root: Path) -> LocalConfig:
    """Four fresh hosts: db and airflow for site.yml, and an identical pair for the bare install."""
    hosts = {
        "bench-db01": {"groups": ["db"]},
        "bench-air01": {"groups": ["airflow"]},
        "bench-fdb01": {"groups": ["floor"]},
        "bench-fair01": {"groups": ["floor"]},
    }
    cfg = parse_local({"network": LABEL, "label": LABEL, "subnet": "10.213.50.0/24", "hosts": hosts}, root)
    return replace(cfg, distribution=base.distribution, mirror=base.mirror, extra_ca_files=base.extra_ca_files)


def airflow_packages(root: Path) -> list[str]:
    """What the airflow role installs with the project's group_vars: Airflow, providers, dags/requirements.txt."""
    group_vars = yaml.safe_load((root / "group_vars/airflow.yml").read_text()) or {}
    defaults = yaml.safe_load((root / ROLES / "airflow/defaults/main.yml").read_text()) or {}
    requirements = (root / "dags/requirements.txt").read_text().splitlines()
    extra = [line.strip() for line in requirements if line.strip() and not line.strip().startswith("#")]
    providers = group_vars.get("airflow_providers", defaults["airflow_providers"])
    if group_vars.get("airflow_auth_manager", defaults["airflow_auth_manager"]) == "fab":
        providers = [*providers, "apache-airflow-providers-fab"]  # as the role adds it (vars/main.yml)
    return [f"apache-airflow=={group_vars['airflow_version']}", *dict.fromkeys(providers), *extra]


def floor_run(engine: Engine, scripts: dict[str, str]) -> float:
    """Both bare installs at once, as site.yml converges both hosts at once; seconds until the slower one ends."""
    errors: list[str] = []

    def install(host: str, script: str) -> None:
        result = subprocess.run(engine.cmd("exec", host, "sh", "-c", script), capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(f"{host}: {(result.stderr or result.stdout)[-1500:]}")

    start = time.monotonic()
    threads = [threading.Thread(target=install, args=item) for item in scripts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise CommandError("the floor install failed:\n" + "\n".join(errors))
    seconds = time.monotonic() - start
    say(f"    {seconds:.1f}s")
    return seconds


def bench_site(
    engine: Engine, base: LocalConfig, root: Path, runs: int, log: Callable[[str], None] = say
) -> dict[str, list[float]]:
    """`runs` times: fresh hosts, the floor, site.yml cold, site.yml again; the hosts are always removed."""
    cfg = bench_config(base, root)
    inventory = root / ".mlops/bench/hosts.yml"
    packages = " ".join(airflow_packages(root))
    version = airflow_packages(root)[0].split("==")[1]
    defaults = yaml.safe_load((root / ROLES / "airflow/defaults/main.yml").read_text()) or {}
    figures: dict[str, list[float]] = {"floor": [], "cold": [], "noop": [], "noop_changed": []}
    limit = ("--limit", "db:airflow")
    for run in range(1, runs + 1):
        log(f"==> run {run}/{runs}: fresh hosts")
        hosts_down(engine, cfg, inventory)  # leftovers of an interrupted run would not be fresh
        try:
            hosts_up(engine, cfg, inventory, root / LOGS)
            release = RELEASES[cfg.distribution]
            constraints = root / str(AIRFLOW_CONSTRAINTS).format(airflow=version, python=release.python)
            subprocess.run(engine.cmd("cp", str(constraints), "bench-fair01:/root/constraints.txt"), check=True)
            log("==> floor: the same packages installed by hand on two identical fresh hosts at once")
            figures["floor"].append(
                floor_run(
                    engine,
                    {
                        "bench-fdb01": FLOOR_DB.format(pg=release.postgresql),
                        "bench-fair01": FLOOR_AIRFLOW.format(packages=packages, uv=defaults["airflow_uv_version"]),
                    },
                )
            )
            log("==> site.yml on fresh hosts (cold)")
            figures["cold"].append(bench_playbook(root, inventory, "site.yml", limit).seconds)
            log("==> site.yml again (no-op)")
            noop = bench_playbook(root, inventory, "site.yml", limit)
            figures["noop"].append(noop.seconds)
            figures["noop_changed"].append(noop.changed)
        finally:
            hosts_down(engine, cfg, inventory)
    return figures


FLOOR_TEXT = (
    "floor = on identical fresh hosts at once, apt-get install postgresql-N postgresql-client-N python3-psycopg2 acl "
    "python3-cryptography (db) and python3-venv python3-packaging acl python3-cryptography nginx-light + uv (pip) + "
    "uv pip install of Airflow, its providers (FAB included) and "
    "dags/requirements.txt with the role's constraints (airflow)"
)


def site_report(figures: dict[str, list[float]]) -> list[str]:
    cold, floor = statistics.median(figures["cold"]), statistics.median(figures["floor"])
    return [
        "site.yml on fresh local hosts (db + airflow, over SSH):",
        row("cold converge", figures["cold"], 38),
        row("floor (bare install, same packages)", figures["floor"], 38),
        f"  {'cold / floor':<38} {cold / floor:.2f}x",
        row("no-op re-run", figures["noop"], 38),
        f"  {'no-op changed tasks':<38} {', '.join(str(int(c)) for c in figures['noop_changed'])}",
        f"  ({FLOOR_TEXT})",
    ]
