from pathlib import Path

import yaml

from mlopsctl.inventory import build_inventory, write_inventory
from mlopsctl.lab.config import parse_local


def endpoints(cfg) -> dict[str, tuple[str, int]]:
    return {spec.name: ("127.0.0.1", 40000 + i) for i, spec in enumerate(cfg.hosts)}


def test_inventory_groups_hosts_and_carries_ssh_endpoints_and_private_addresses(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    inventory = build_inventory(list(cfg.hosts), endpoints(cfg))
    children = inventory["all"]["children"]
    assert set(children) == {"db", "airflow", "clients", "backup"}
    assert children["db"]["hosts"] == {
        "db01": {"ansible_host": "127.0.0.1", "ansible_port": 40000, "mlops_private_ip": "10.213.7.10"}
    }
    assert children["airflow"]["hosts"]["air01"]["mlops_private_ip"] == "10.213.7.11"
    shared = inventory["all"]["vars"]
    assert shared["ansible_connection"] == "ssh"
    assert shared["ansible_ssh_private_key_file"] == "{{ inventory_dir }}/.secrets/ssh/id_ed25519"
    # Host keys are pinned: never accepted on first use.
    assert "StrictHostKeyChecking=yes" in shared["ansible_ssh_common_args"]
    assert "UserKnownHostsFile={{ inventory_dir }}/.secrets/ssh/known_hosts" in shared["ansible_ssh_common_args"]


def test_a_host_in_two_groups_appears_in_both(tmp_path: Path) -> None:
    cfg = parse_local({"hosts": {"solo": {"groups": ["db", "airflow"]}}}, tmp_path)
    children = build_inventory(list(cfg.hosts), endpoints(cfg))["all"]["children"]
    assert "solo" in children["db"]["hosts"] and "solo" in children["airflow"]["hosts"]


def test_inventory_is_written_once_and_reads_back(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    inventory = build_inventory(list(cfg.hosts), endpoints(cfg))
    path = tmp_path / "inv" / "hosts.yml"
    assert write_inventory(path, inventory) is True
    before = path.stat().st_mtime_ns
    assert write_inventory(path, inventory) is False
    assert path.stat().st_mtime_ns == before
    assert yaml.safe_load(path.read_text()) == inventory
