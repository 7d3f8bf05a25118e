"""Boots real systemd container hosts on a network of their own and checks what the issue promises, on each engine:
podman in the unit stage, Docker in the docker stage (`-m docker`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra
from conftest import PYTHON, ROOT, hosts_config

from mlopsctl.errors import CommandError
from mlopsctl.lab.config import LocalConfig
from mlopsctl.lab.engine import Engine, detect_engine
from mlopsctl.lab.hosts import CA_DIR, PROJECT_LABEL, Report, hosts_down, hosts_up, inspect

pytestmark = [
    pytest.mark.hosts,
]

# Each engine's hosts get names, a label, a subnet and a published port of their own, so both can run side by side.
SETS = {
    "podman": {"label": "mlopstest", "prefix": "t", "subnet": "10.213.99.0/24", "port": 18080},
    "docker": {"label": "dkmlopstest", "prefix": "dk", "subnet": "10.213.120.0/24", "port": 28080},
}


@dataclass(frozen=True)
class Booted:
    engine: Engine
    cfg: LocalConfig
    inventory: Path
    first: Report
    db: str
    air: str
    port: int


@pytest.fixture(scope="module", params=["podman", pytest.param("docker", marks=pytest.mark.docker)])
def booted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    hosts = SETS[request.param]
    base = tmp_path_factory.mktemp(f"hosts-{request.param}")
    db, air = f"{hosts['prefix']}db01", f"{hosts['prefix']}air01"
    cfg = hosts_config(
        base,
        hosts["label"],
        hosts["subnet"],
        {db: {"groups": ["db"]}, air: {"groups": ["airflow"], "publish": [f"{hosts['port']}:8080"]}},
    )
    engine = detect_engine(request.param)
    inventory = base / "inventory/hosts.yml"
    first = hosts_up(engine, cfg, inventory, base / "logs")
    yield Booted(engine, cfg, inventory, first, db, air, hosts["port"])
    hosts_down(engine, cfg, inventory)


def sh(engine: Engine, host: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(engine.cmd("exec", host, "sh", "-c", script), capture_output=True, text=True)


def test_hosts_boot_systemd_and_are_written_to_the_inventory(booted: Booted) -> None:
    assert any(f"host {booted.db} created" in c for c in booted.first.changes)
    assert sh(booted.engine, booted.db, "systemctl is-system-running").stdout.strip() in ("running", "degraded")
    text = booted.inventory.read_text()
    assert f"{booted.db}:" in text and f"mlops_private_ip: {booted.cfg.host(booted.db).ip}" in text


def test_air_host_resolves_db_host_and_reaches_an_open_port(booted: Booted) -> None:
    engine = booted.engine
    assert booted.cfg.host(booted.db).ip in sh(engine, booted.air, f"getent hosts {booted.db}").stdout
    listener = "import socket;s=socket.socket();s.bind(('0.0.0.0',5999));s.listen();c,_=s.accept();c.send(b'pong')"
    subprocess.run(engine.cmd("exec", "-d", booted.db, "python3", "-c", listener), check=True)
    client = (
        f"import socket,time\nfor _ in range(50):\n try:\n  print(socket.create_connection(('{booted.db}',5999),2)"
        ".recv(4).decode());break\n except OSError: time.sleep(0.1)"
    )
    assert sh(engine, booted.air, f'python3 -c "{client}"').stdout.strip() == "pong"


def test_hosts_trust_the_extra_ca_files(booted: Booted) -> None:
    host = testinfra.get_host(f"{booted.engine.name}://{booted.db}")
    certificates = [f for f in host.file(CA_DIR).listdir() if f.endswith(".crt")]
    assert len(certificates) > 1
    assert all(host.file(f"{CA_DIR}/{name}").mode == 0o644 for name in certificates)
    assert host.file("/etc/ssl/certs/ca-certificates.crt").size > 0


def test_hosts_run_sshd_for_the_projects_key_only(booted: Booted) -> None:
    host = testinfra.get_host(f"{booted.engine.name}://{booted.db}")
    assert host.service("ssh").is_enabled and host.service("ssh").is_running
    assert host.socket("tcp://0.0.0.0:22").is_listening
    assert host.file("/root/.ssh/authorized_keys").mode == 0o600
    assert "PasswordAuthentication no" in host.file("/etc/ssh/sshd_config.d/mlops.conf").content_string
    # The release's Python: the interpreter Ansible's modules run with on these hosts.
    assert host.package("python3").version.startswith(PYTHON)


def test_published_ports_listen_on_loopback_only(booted: Booted) -> None:
    inspected = subprocess.run(booted.engine.cmd("inspect", booted.air), capture_output=True, text=True).stdout
    bindings = json.loads(inspected)[0]["NetworkSettings"]["Ports"]["8080/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": str(booted.port)}]
    machine = testinfra.get_host("local://")
    assert machine.socket(f"tcp://127.0.0.1:{booted.port}").is_listening
    assert not machine.socket(f"tcp://0.0.0.0:{booted.port}").is_listening


def ansible_ping(inventory: Path, control_dir: Path) -> subprocess.CompletedProcess[str]:
    # A control directory of its own: a persisted SSH master of another run would skip the host key check.
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir)}
    cmd = [str(Path(sys.executable).parent / "ansible"), "-i", str(inventory), "all", "-m", "ansible.builtin.ping"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_ansible_reaches_every_host_over_ssh_with_the_projects_key(booted: Booted, tmp_path: Path) -> None:
    result = ansible_ping(booted.inventory, tmp_path / "cp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == 2
    inspected = subprocess.run(booted.engine.cmd("inspect", booted.db), capture_output=True, text=True).stdout
    ssh = json.loads(inspected)[0]
    assert [b["HostIp"] for b in ssh["NetworkSettings"]["Ports"]["22/tcp"]] == ["127.0.0.1"]


def test_every_host_has_its_own_pinned_host_key(booted: Booted, tmp_path: Path) -> None:
    inventory = booted.inventory
    known = (inventory.parent / ".secrets/ssh/known_hosts").read_text().split("\n")
    keys = [line.split()[2] for line in known if line]
    assert len(keys) == 2 and len(set(keys)) == 2
    # A copy of the inventory whose known_hosts names other keys is refused: no trust on first use.
    shutil.copytree(inventory.parent, tmp_path / "inv")
    forged = tmp_path / "inv/.secrets/ssh/known_hosts"
    forged.write_text(
        "\n".join(f"{line.split()[0]} {line.split()[1]} {keys[1 - i]}" for i, line in enumerate(known[:2]))
    )
    refused = ansible_ping(tmp_path / "inv" / inventory.name, tmp_path / "cp")
    assert refused.returncode != 0 and "UNREACHABLE" in refused.stdout, refused.stdout


def test_a_subnet_already_routed_here_is_refused_before_a_network_is_made(booted: Booted, tmp_path: Path) -> None:
    label = f"{booted.cfg.label}-clash"
    clash = hosts_config(tmp_path, label, booted.cfg.subnet, {f"{booted.db}-clash": {"groups": ["db"]}})
    with pytest.raises(CommandError, match=f"local.subnet {booted.cfg.subnet} overlaps {booted.cfg.subnet} on "):
        hosts_up(booted.engine, clash, tmp_path / "inventory/hosts.yml", tmp_path / "logs")
    assert inspect(booted.engine, "network", label) is None


def test_up_twice_changes_nothing(booted: Booted) -> None:
    assert hosts_up(booted.engine, booted.cfg, booted.inventory, booted.inventory.parent).changes == []


def test_down_leaves_nothing_behind(booted: Booted) -> None:
    engine, cfg, inventory = booted.engine, booted.cfg, booted.inventory
    hosts_down(engine, cfg, inventory)
    for listing in (("ps", "--all"), ("network", "ls"), ("volume", "ls")):
        out = subprocess.run(
            engine.cmd(*listing, "--filter", f"label={PROJECT_LABEL}={cfg.label}", "--quiet"),
            capture_output=True,
            text=True,
        ).stdout
        assert out.strip() == "", listing
    assert not inventory.exists()
    assert hosts_down(engine, cfg, inventory).changes == []
