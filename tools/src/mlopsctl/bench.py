"""Benchmarks users feel: a role's cold converge and idempotent re-run next to the bare install (the floor)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mlopsctl.config import LocalConfig, parse_local
from mlopsctl.engine import Engine
from mlopsctl.hosts import hosts_down, hosts_up
from mlopsctl.progress import CommandError, say

LABEL = "mlopsbench"
AIRFLOW_CONSTRAINTS = "collections/ansible_collections/datatech/mlops/roles/airflow/files/constraints-{}-py3.11.txt"
# The packages each role installs; the floor installs exactly these by hand on an identical fresh host.
FLOORS = {
    "postgresql": "apt-get update -q && apt-get install -y -q --no-install-recommends "
    "postgresql-15 postgresql-client-15 python3-psycopg2 acl",
    "airflow": "apt-get update -q && apt-get install -y -q --no-install-recommends python3-venv python3-packaging acl "
    "&& python3 -m venv /opt/floor && PIP_CERT=/etc/ssl/certs/ca-certificates.crt /opt/floor/bin/pip install -q "
    "--no-cache-dir --disable-pip-version-check --constraint /tmp/constraints.txt apache-airflow=={version} "
    "apache-airflow-providers-postgres",
}


def bench_config(base: LocalConfig, root: Path) -> LocalConfig:
    """Fresh hosts of their own: the role's db and airflow hosts, and a floor host for the bare install."""
    hosts = {
        "bench-db01": {"groups": ["db"]},
        "bench-air01": {"groups": ["airflow"]},
        "bench-floor01": {"groups": ["floor"]},
    }
    cfg = parse_local({"network": LABEL, "label": LABEL, "subnet": "10.213.50.0/24", "hosts": hosts}, root)
    return replace(cfg, distribution=base.distribution, mirror=base.mirror, extra_ca_files=base.extra_ca_files)


def timed(what: str, action: Callable[[], None]) -> float:
    say(f"==> {what}")
    start = time.monotonic()
    action()
    seconds = time.monotonic() - start
    say(f"    {seconds:.1f}s")
    return seconds


def run_playbook(
    playbook_cmd: list[str], root: Path, inventory: Path, playbook: str, extra: tuple[str, ...] = ()
) -> Callable[[], None]:
    def action() -> None:
        result = subprocess.run(
            [*playbook_cmd, "-i", str(inventory), playbook, *extra], cwd=root, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CommandError(f"{playbook} failed during the benchmark:\n{result.stdout[-2000:]}")
        recap = [line for line in result.stdout.splitlines() if "changed=" in line]
        say("    " + "\n    ".join(recap))

    return action


def run_floor(engine: Engine, host: str, script: str) -> Callable[[], None]:
    def action() -> None:
        result = subprocess.run(engine.cmd("exec", host, "sh", "-c", script), capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"the floor install failed on {host}:\n{(result.stderr or result.stdout)[-2000:]}")

    return action


def bench_role(
    role: str, engine: Engine, base: LocalConfig, root: Path, playbook_cmd: list[str], airflow_version: str
) -> dict[str, float]:
    """Boot fresh hosts, time the floor, the role's cold converge and its re-run; always remove the hosts."""
    cfg = bench_config(base, root)
    inventory = root / ".mlops/bench/hosts.yml"
    hosts_up(engine, cfg, inventory, root / ".mlops/logs")
    try:
        floor_script = FLOORS[role].format(version=airflow_version)
        if role == "airflow":
            constraints = root / AIRFLOW_CONSTRAINTS.format(airflow_version)
            subprocess.run(engine.cmd("cp", str(constraints), "bench-floor01:/tmp/constraints.txt"), check=True)
            timed(
                "database host for Airflow (not timed in the figures)",
                run_playbook(playbook_cmd, root, inventory, "playbooks/db.yml"),
            )
        playbook = "playbooks/db.yml" if role == "postgresql" else "playbooks/airflow.yml"
        figures = {
            "floor": timed(
                f"floor: bare install of the same packages on a fresh host ({role})",
                run_floor(engine, "bench-floor01", floor_script),
            ),
            "cold": timed(
                f"cold converge of the {role} role on a fresh host",
                run_playbook(playbook_cmd, root, inventory, playbook),
            ),
            "rerun": timed(
                f"idempotent re-run of the {role} role", run_playbook(playbook_cmd, root, inventory, playbook)
            ),
        }
    finally:
        hosts_down(engine, cfg, inventory)
    return figures


def report(role: str, figures: dict[str, float]) -> str:
    return (
        f"{role}: cold converge {figures['cold']:.1f}s, floor (bare install) {figures['floor']:.1f}s, "
        f"ratio {figures['cold'] / figures['floor']:.2f}x; idempotent re-run {figures['rerun']:.1f}s"
    )
