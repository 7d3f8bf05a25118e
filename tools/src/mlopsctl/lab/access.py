"""How to reach the platform on the local hosts: the published HTTPS port of each airflow host, the generated
secrets beside the inventory, the example DAG's results, and the API as the benchmarks log in to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlopsctl.airflow_api import AirflowApi
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.lab.config import HostSpec, LocalConfig


def published_https(root: Path, cfg: LocalConfig) -> tuple[dict[str, Any], list[tuple[HostSpec, int]]]:
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
    group_vars, published = published_https(root, cfg)
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


def local_api(root: Path, cfg: LocalConfig, inventory: Path) -> tuple[str, AirflowApi]:
    """The local airflow host and its API on the published HTTPS port, logged in as the generated admin."""
    group_vars, published = published_https(root, cfg)
    if not published:
        raise ConfigError("bench dags: no airflow host in the settings publishes the HTTPS port (443)")
    spec, port = published[0]
    secrets = inventory.parent / ".secrets"
    secret = secrets / "airflow_admin_password"
    if not secret.is_file():
        raise CommandError(f"{secret} is missing: run `mlopsctl up` before `mlopsctl bench dags`")
    user = group_vars.get("airflow_admin_user", "admin")
    password = secret.read_text().strip()
    # Each poll of the pick-up loop must be short: a timeout counts as "not listed yet".
    return spec.name, AirflowApi(f"https://localhost:{port}", user, password, str(secrets / "ca/ca.crt"), timeout=10)
