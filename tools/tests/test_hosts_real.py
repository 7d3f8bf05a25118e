"""Boots real systemd container hosts on a network of their own and checks what the issue promises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, hosts_config

from mlopsctl.engine import detect_engine
from mlopsctl.hosts import PROJECT_LABEL, hosts_down, hosts_up

pytestmark = [
    pytest.mark.hosts,
]

LABEL = "mlopstest"


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("hosts")
    cfg = hosts_config(
        base,
        LABEL,
        "10.213.99.0/24",
        {
            "tdb01": {"groups": ["db"]},
            "tair01": {"groups": ["airflow"], "publish": ["18080:8080"]},
        },
    )
    engine = detect_engine("auto")
    inventory = base / "inventory/hosts.yml"
    first = hosts_up(engine, cfg, inventory, base / "logs")
    yield engine, cfg, inventory, first
    hosts_down(engine, cfg, inventory)


def sh(engine, host: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(engine.cmd("exec", host, "sh", "-c", script), capture_output=True, text=True)


def test_hosts_boot_systemd_and_are_written_to_the_inventory(booted) -> None:
    engine, _, inventory, first = booted
    assert any("host tdb01 created" in c for c in first.changes)
    assert sh(engine, "tdb01", "systemctl is-system-running").stdout.strip() in ("running", "degraded")
    assert "tdb01:" in inventory.read_text() and "mlops_private_ip: 10.213.99.10" in inventory.read_text()


def test_air_host_resolves_db_host_and_reaches_an_open_port(booted) -> None:
    engine, *_ = booted
    assert "10.213.99.10" in sh(engine, "tair01", "getent hosts tdb01").stdout
    listener = "import socket;s=socket.socket();s.bind(('0.0.0.0',5999));s.listen();c,_=s.accept();c.send(b'pong')"
    subprocess.run(engine.cmd("exec", "-d", "tdb01", "python3", "-c", listener), check=True)
    client = (
        "import socket,time\nfor _ in range(50):\n try:\n  print(socket.create_connection(('tdb01',5999),2)"
        ".recv(4).decode());break\n except OSError: time.sleep(0.1)"
    )
    assert sh(engine, "tair01", f'python3 -c "{client}"').stdout.strip() == "pong"


def test_hosts_trust_the_extra_ca_files(booted) -> None:
    engine, *_ = booted
    listing = sh(engine, "tdb01", "ls /usr/local/share/ca-certificates/mlops | wc -l").stdout.strip()
    assert int(listing) > 1
    assert sh(engine, "tdb01", "test -s /etc/ssl/certs/ca-certificates.crt").returncode == 0


def test_published_ports_listen_on_loopback_only(booted) -> None:
    engine, *_ = booted
    ports = json.loads(subprocess.run(engine.cmd("inspect", "tair01"), capture_output=True, text=True).stdout)[0]
    bindings = ports["NetworkSettings"]["Ports"]["8080/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": "18080"}]


def ansible_ping(inventory: Path, control_dir: Path) -> subprocess.CompletedProcess[str]:
    # A control directory of its own: a persisted SSH master of another run would skip the host key check.
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir)}
    cmd = [str(Path(sys.executable).parent / "ansible"), "-i", str(inventory), "all", "-m", "ansible.builtin.ping"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_ansible_reaches_every_host_over_ssh_with_the_projects_key(booted, tmp_path: Path) -> None:
    engine, _, inventory, _ = booted
    result = ansible_ping(inventory, tmp_path / "cp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == 2
    ssh = json.loads(subprocess.run(engine.cmd("inspect", "tdb01"), capture_output=True, text=True).stdout)[0]
    assert [b["HostIp"] for b in ssh["NetworkSettings"]["Ports"]["22/tcp"]] == ["127.0.0.1"]


def test_every_host_has_its_own_pinned_host_key(booted, tmp_path: Path) -> None:
    _, _, inventory, _ = booted
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


def test_up_twice_changes_nothing(booted) -> None:
    engine, cfg, inventory, _ = booted
    assert hosts_up(engine, cfg, inventory, inventory.parent).changes == []


def test_down_leaves_nothing_behind(booted) -> None:
    engine, cfg, inventory, _ = booted
    hosts_down(engine, cfg, inventory)
    for listing in (("ps", "--all"), ("network", "ls"), ("volume", "ls")):
        out = subprocess.run(
            engine.cmd(*listing, "--filter", f"label={PROJECT_LABEL}={LABEL}", "--quiet"),
            capture_output=True,
            text=True,
        ).stdout
        assert out.strip() == "", listing
    assert not inventory.exists()
    assert hosts_down(engine, cfg, inventory).changes == []
