"""The airflow role's preflight refuses an unusable executor setting in one line, before any task that changes a
host: another executor, CeleryExecutor without a worker, a worker outside the private network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFLIGHT = ROOT / "collections/ansible_collections/datatech/mlops/roles/airflow/tasks/preflight.yml"


def preflight(tmp_path: Path, settings: dict) -> subprocess.CompletedProcess[str]:
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: datatech.mlops.airflow\n        tasks_from: preflight\n"
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STRATEGY": "linear",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"),
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local"]
    command += ["-e", f"ansible_python_interpreter={sys.executable}", "-e", json.dumps(settings), str(play)]
    return subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"airflow_executor": "KubernetesExecutor"}, "airflow_executor 'KubernetesExecutor' is not one of"),
        ({"airflow_executor": "CeleryExecutor"}, "CeleryExecutor needs at least one worker host"),
        (
            {
                "airflow_executor": "CeleryExecutor",
                "airflow_celery_workers": {"wrk01": "10.0.0.20", "wrk02": "192.168.5.21"},
                "airflow_celery_network": "10.0.0.0/24",
            },
            "worker wrk02 (192.168.5.21) is outside the private network 10.0.0.0/24",
        ),
        (
            {
                "airflow_executor": "CeleryExecutor",
                "airflow_celery_workers": {"wrk01": "10.0.0.20"},
                "airflow_celery_network": "10.0.0.0/24",
                "airflow_celery_broker_host": "0.0.0.0",
                "airflow_celery_broker_password": "Abc123",
            },
            "airflow_celery_broker_host '0.0.0.0' must be one address of the private network 10.0.0.0/24",
        ),
        (
            {
                "airflow_executor": "CeleryExecutor",
                "airflow_celery_workers": {"wrk01": "10.0.0.20"},
                "airflow_celery_network": "10.0.0.0/24",
                "airflow_celery_broker_host": "10.0.0.11",
                "airflow_celery_broker_password": "Abc123",
                "airflow_tls_ca_dir": "",
            },
            "CeleryExecutor needs airflow_celery_broker_host",
        ),
    ],
)
def test_an_unusable_executor_setting_is_refused_before_any_change(
    tmp_path: Path, settings: dict, message: str
) -> None:
    result = preflight(tmp_path, settings)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0 and message in out and "Nothing was changed." in out, out[-2000:]
    # Only the preflight ran: nothing on the host could have changed.
    assert "changed=0" in out


def test_the_executor_check_comes_before_any_task_that_changes_a_host() -> None:
    text = PREFLIGHT.read_text()
    assert "airflow_celery_problems" in text
    assert not any(word in text for word in ("ansible.builtin.template", "ansible.builtin.copy", "ansible.builtin.apt"))


def test_git_bundle_delivery_with_celery_workers_is_refused_by_the_platform_preflight(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "vars": local,
                    "children": {
                        "airflow": {"hosts": {"air01": {"mlops_private_ip": "10.0.0.11"}}},
                        "airflow_workers": {"hosts": {"wrk01": {"mlops_private_ip": "10.0.0.20"}}},
                    },
                }
            }
        )
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STRATEGY": "linear",
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-e", "dags_delivery=git_bundle"]
    result = subprocess.run(
        [*command, str(ROOT / "playbooks/preflight.yml")], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, out[-2000:]
    assert (
        "the inventory has Celery workers (wrk01) that could not read it: use dags_delivery folder with workers" in out
    ), out[-2000:]
    assert "changed=0" in out
