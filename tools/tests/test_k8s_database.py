"""The cluster's Airflow has its own metadata database and user on db01 (group_vars/db.yml), admitted by pg_hba from
the node subnet only over TLS; the VMs' airflow database stays closed to the nodes. Rendered by Ansible itself from
the inventory `mlopsctl infra inventory` writes for terraform/selectel-k8s (and for a root without a cluster)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from mlopsctl import k8s
from mlopsctl.infra import inventory_from_outputs, write_cloud_inventory

BIN = Path(sys.executable).parent
FIXTURES = Path(__file__).parent / "fixtures"
NODES = "10.213.8.0/24"
AIR01 = "10.213.7.11/32"


def db_settings(tmp_path: Path, cloud: str) -> tuple[dict[str, Any], Path]:
    """db01's postgresql_users, postgresql_databases and postgresql_hba_entries as a playbook run would see them."""
    outputs = json.loads((FIXTURES / f"terraform-output-{cloud}.json").read_text())
    inventory = write_cloud_inventory(tmp_path, cloud, inventory_from_outputs(outputs))
    (tmp_path / "inventories" / cloud / "group_vars").unlink()
    (tmp_path / "inventories" / cloud / "group_vars").symlink_to(ROOT / "group_vars")
    play = tmp_path / "show.yml"
    play.write_text(
        "- hosts: db\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug:\n"
        "        msg: {users: '{{ postgresql_users }}', databases: '{{ postgresql_databases }}',"
        " hba: '{{ postgresql_hba_entries }}'}\n"
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(play)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (task,) = json.loads(result.stdout)["plays"][0]["tasks"]
    return task["hosts"]["db01"]["msg"], inventory.parent / ".secrets"


EXPORTER = {"type": "local", "database": "postgres", "user": "postgres_exporter", "method": "peer"}


def test_a_cluster_gets_its_own_database_and_user_admitted_from_the_node_subnet_only(tmp_path: Path) -> None:
    settings, secrets = db_settings(tmp_path, "selectel-k8s")
    users = {u["name"]: u["password"] for u in settings["users"]}
    assert set(users) == {"airflow", "dwh", "airflow_k8s"}
    assert len({users["airflow"], users["airflow_k8s"]}) == 2, "the cluster must not share the VMs' password"
    assert {"name": "airflow_k8s", "owner": "airflow_k8s"} in settings["databases"]
    hba = {(e["database"], e["user"]): e for e in settings["hba"]}
    # Over the network only TLS; the one local entry is the metrics exporter's, by peer over the socket.
    assert all(e["type"] == "hostssl" for e in settings["hba"] if e["type"] != "local")
    assert [e for e in settings["hba"] if e["type"] == "local"] == [EXPORTER]
    assert hba[("airflow_k8s", "airflow_k8s")]["address"] == [NODES]
    assert hba[("airflow", "airflow")]["address"] == [AIR01], "the nodes must not reach the VMs' metadata"
    assert sorted(hba[("dwh", "dwh")]["address"]) == sorted([AIR01, NODES])
    # Generated like the other secrets, beside them, and what `mlopsctl k8s secrets` puts in the metadata Secret.
    assert k8s.read_secret(secrets, "postgresql_airflow_k8s_password") == users["airflow_k8s"]
    for other in ("airflow_admin_password", "airflow_jwt_secret", "airflow_api_secret_key", "airflow_fernet_seed"):
        (secrets / other).write_text("A" * 32 + "\n")  # made by the Airflow play, which this test does not run
    (secrets / "ca").mkdir(exist_ok=True)  # made by the platform_ca role, which this test does not run either
    (secrets / "ca/ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (metadata,) = [
        m
        for m in k8s.platform_manifests(ROOT, secrets, "10.213.7.10", "verify-full", "https://g.example/d.git", "t")
        if m["metadata"]["name"] == "airflow-metadata"
    ]
    assert metadata["stringData"]["connection"].startswith(f"postgresql://airflow_k8s:{users['airflow_k8s']}@")
    assert metadata["stringData"]["connection"].endswith(
        "/airflow_k8s?sslmode=verify-full&sslrootcert=%2Fopt%2Fairflow%2Fplatform-ca%2Fca.crt"
    )


def test_without_a_cluster_nothing_is_created_or_generated_for_it(tmp_path: Path) -> None:
    settings, secrets = db_settings(tmp_path, "selectel")
    assert [u["name"] for u in settings["users"]] == ["airflow", "dwh"]
    assert [d["name"] for d in settings["databases"]] == ["airflow", "dwh"]
    assert [e.get("address") for e in settings["hba"]] == [[AIR01], [AIR01], None]
    assert settings["hba"][-1] == EXPORTER
    assert not (secrets / "postgresql_airflow_k8s_password").exists()


@pytest.mark.parametrize("name", ["postgresql_users", "postgresql_hba_entries", "postgresql_databases"])
def test_db_settings_keep_their_names_for_the_role(name: str) -> None:
    """The role reads these names; a typo would silently give db01 the role's defaults."""
    assert f"\n{name}:" in (ROOT / "group_vars/db.yml").read_text()
