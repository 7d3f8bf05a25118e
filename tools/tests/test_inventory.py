from pathlib import Path

import yaml

from mlopsctl.inventory import SSH_KEY, build_inventory, is_written_inventory, write_if_changed, write_inventory
from mlopsctl.lab.config import parse_local
from mlopsctl.lab.hosts import Report, ensure_ssh_key


def endpoints(cfg) -> dict[str, tuple[str, int]]:
    return {spec.name: ("127.0.0.1", 40000 + i) for i, spec in enumerate(cfg.hosts)}


def test_inventory_groups_hosts_and_carries_ssh_endpoints_and_private_addresses(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    inventory = build_inventory(list(cfg.hosts), endpoints(cfg), network=cfg.subnet)
    # Celery workers must be on the hosts' subnet (the airflow role's preflight checks them against it).
    assert inventory["all"]["vars"]["mlops_private_network"] == "10.213.7.0/24"
    assert "mlops_private_network" not in build_inventory(list(cfg.hosts), endpoints(cfg))["all"]["vars"]
    children = inventory["all"]["children"]
    # The demo has no Celery workers: their group is there, empty, so the workers' play matches a known group.
    assert set(children) == {"db", "airflow", "clients", "backup", "airflow_workers"}
    assert children["airflow_workers"] == {"hosts": {}}
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


def test_the_db_hosts_admit_ml_staff_from_this_machine_only(tmp_path: Path) -> None:
    cfg = parse_local({"subnet": "10.213.9.0/24"}, tmp_path)
    children = build_inventory(list(cfg.hosts), endpoints(cfg), cfg.gateway)["all"]["children"]
    assert cfg.gateway == "10.213.9.1"
    assert children["db"]["hosts"]["db01"]["mlops_ml_client_cidrs"] == ["10.213.9.1/32"]
    assert "mlops_ml_client_cidrs" not in children["airflow"]["hosts"]["air01"]


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


def test_only_an_inventory_hosts_up_wrote_may_be_removed(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    written = tmp_path / "hosts.yml"
    write_inventory(written, build_inventory(list(cfg.hosts), endpoints(cfg)))
    other = tmp_path / "site.yml"
    other.write_text("- hosts: all\n")
    link = tmp_path / "link.yml"
    link.symlink_to(written)
    assert is_written_inventory(written)
    assert not is_written_inventory(other)
    assert not is_written_inventory(link)
    assert not is_written_inventory(tmp_path)
    assert not is_written_inventory(tmp_path / "absent.yml")


def test_a_link_where_a_file_is_written_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("keep me\n")
    path = tmp_path / "known_hosts"
    path.symlink_to(target)
    assert write_if_changed(path, "new\n", mode=0o600)
    assert not path.is_symlink() and path.read_text() == "new\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert target.read_text() == "keep me\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_secrets_directory_is_the_owners_only(tmp_path: Path) -> None:
    key = tmp_path / SSH_KEY
    ensure_ssh_key(key, "test", Report())
    assert oct((tmp_path / ".secrets").stat().st_mode & 0o777) == "0o700"
    assert oct(key.parent.stat().st_mode & 0o777) == "0o700"


def test_the_airflow_hosts_let_the_deploy_key_in_and_no_other_host_does(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    children = build_inventory(list(cfg.hosts), endpoints(cfg), deploy_key="ssh-ed25519 AAAA deploy")["all"]["children"]
    assert children["airflow"]["hosts"]["air01"]["mlops_deploy_ssh_keys"] == ["ssh-ed25519 AAAA deploy"]
    assert all("mlops_deploy_ssh_keys" not in h for g in ("db", "backup") for h in children[g]["hosts"].values())
