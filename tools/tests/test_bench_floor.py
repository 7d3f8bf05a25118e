"""The benchmark's floor installs the same packages as the roles, so cold/floor is not flattered by a smaller floor."""

from __future__ import annotations

import yaml
from conftest import COLLECTION, ROOT

from mlopsctl.lab.bench_site import FLOOR_AIRFLOW, FLOOR_DB, airflow_packages


def test_the_airflow_floor_installs_airflow_the_fab_provider_and_every_dag_requirement() -> None:
    packages = airflow_packages(ROOT)
    group_vars = yaml.safe_load((ROOT / "group_vars/airflow.yml").read_text())
    requirements = [
        line.strip() for line in (ROOT / "dags/requirements.txt").read_text().splitlines() if line.strip()[:1].isalnum()
    ]
    assert packages[0] == f"apache-airflow=={group_vars['airflow_version']}"
    assert group_vars["airflow_auth_manager"] == "fab" and "apache-airflow-providers-fab" in packages
    assert "apache-airflow-providers-postgres" in packages and set(requirements) <= set(packages)
    assert len(packages) == len(set(packages))


def test_the_floor_hosts_get_the_system_packages_the_roles_install() -> None:
    roles = COLLECTION / "roles"
    assert "nginx-light" in (roles / "airflow/tasks/proxy.yml").read_text() and "nginx-light" in FLOOR_AIRFLOW
    assert "python3-cryptography" in (roles / "platform_ca/tasks/certificate.yml").read_text()
    assert "python3-cryptography" in FLOOR_DB and "python3-cryptography" in FLOOR_AIRFLOW
    for package in ("python3-venv", "python3-packaging", "acl"):
        assert package in (roles / "airflow/tasks/install.yml").read_text() and package in FLOOR_AIRFLOW
    for package in ("postgresql-client-", "python3-psycopg2", "acl"):
        assert package in (roles / "postgresql/tasks/install.yml").read_text() and package in FLOOR_DB
