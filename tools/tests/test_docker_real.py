"""The platform on Docker hosts: site.yml converges db, airflow and client hosts booted by `mlopsctl hosts up` on a
Docker engine, Airflow answers healthy over HTTPS, and testinfra checks what the roles left on the hosts.
Minutes long: `tools/run-tests.sh docker` (the full platform test runs on podman)."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import testinfra
import yaml
from conftest import PG_MAJOR, ROOT, hosts_config

from mlopsctl.lab.engine import detect_engine
from mlopsctl.lab.hosts import hosts_down, hosts_up

pytestmark = [
    pytest.mark.docker,
]

HTTPS_PORT = 28443
HTTP_PORT = 28082
BASE_URL = f"https://localhost:{HTTPS_PORT}"
DB, AIR, CLIENT = "dkpdb01", "dkpair01", "dkpclient01"


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory):
    """Docker hosts with site.yml run once on them; the run's output is kept for the first test's assertion."""
    base = tmp_path_factory.mktemp("docker-platform")
    cfg = hosts_config(
        base,
        "dkmlopsplat",
        "10.213.121.0/24",
        {
            DB: {"groups": ["db"]},
            AIR: {"groups": ["airflow"], "publish": [f"{HTTPS_PORT}:443", f"{HTTP_PORT}:80"]},
            CLIENT: {"groups": ["clients"]},
        },
    )
    engine = detect_engine("docker")
    inventory = base / "inventory/hosts.yml"
    hosts_up(engine, cfg, inventory, base / "logs")
    yield engine, inventory, site(inventory)
    hosts_down(engine, cfg, inventory)


def site(inventory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "site.yml"]
    cmd += ["-e", json.dumps({"airflow_base_url": BASE_URL})]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    print(done.stdout[-4000:], done.stderr[-2000:])
    return done


def test_site_converges_on_docker_hosts(converged) -> None:
    _, _, done = converged
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", done.stdout, re.M)
    assert sorted(recap) == sorted([(DB, "0", "0"), (AIR, "0", "0"), (CLIENT, "0", "0")])


def test_second_site_run_changes_nothing(converged) -> None:
    _, inventory, _ = converged
    done = site(inventory)
    assert done.returncode == 0
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", done.stdout, re.M)
    assert len(recap) == 3 and all(changed == "0" for _, changed in recap), recap


def test_airflow_is_healthy_over_https_verified_by_the_platform_ca(converged) -> None:
    _, inventory, _ = converged
    context = ssl.create_default_context(cafile=str(inventory.parent / ".secrets/ca/ca.crt"))
    with urllib.request.urlopen(f"{BASE_URL}/api/v2/monitor/health", context=context, timeout=10) as answer:
        health = json.load(answer)
    assert {part: health[part]["status"] for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")} == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "triggerer": "healthy",
        "dag_processor": "healthy",
    }


def test_postgresql_runs_at_boot_and_listens_on_the_private_address(converged) -> None:
    db = testinfra.get_host(f"docker://{DB}")
    # Debian's postgresql unit starts every cluster at boot; the cluster's own unit is the server.
    assert db.service("postgresql").is_enabled and db.service(f"postgresql@{PG_MAJOR}-main").is_running
    address = json.loads(db.check_output("ip -j -4 addr show eth0"))[0]["addr_info"][0]["local"]
    assert db.socket(f"tcp://{address}:5432").is_listening
    assert db.package(f"postgresql-{PG_MAJOR}").version.startswith(f"{PG_MAJOR}.")
    assert db.file(f"/var/lib/postgresql/{PG_MAJOR}/main").mode == 0o700


def test_airflow_components_run_at_boot_behind_nginx_with_their_secrets_kept_private(converged) -> None:
    air = testinfra.get_host(f"docker://{AIR}")
    for component in ("api-server", "scheduler", "dag-processor", "triggerer"):
        unit = air.service(f"airflow@{component}")
        assert unit.is_enabled and unit.is_running, component
    # TLS on 443 for everyone; the API server itself on loopback only.
    assert air.socket("tcp://0.0.0.0:443").is_listening
    assert air.socket("tcp://127.0.0.1:8080").is_listening and not air.socket("tcp://0.0.0.0:8080").is_listening
    config = air.file("/etc/airflow/airflow.cfg")
    assert (config.user, config.group, config.mode) == ("root", "airflow", 0o640)
    version = air.check_output("/opt/airflow/bin/python -c 'import airflow; print(airflow.__version__)'")
    assert version == yaml.safe_load((ROOT / "group_vars/airflow.yml").read_text())["airflow_version"]


def test_published_https_port_listens_on_loopback_only(converged) -> None:
    machine = testinfra.get_host("local://")
    assert machine.socket(f"tcp://127.0.0.1:{HTTPS_PORT}").is_listening
    assert not machine.socket(f"tcp://0.0.0.0:{HTTPS_PORT}").is_listening
