"""The root group_vars apply whichever way the platform is run: site.yml, playbooks/*.yml, any inventory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def playbook(root: Path, inventory: Path, play: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(play), "--tags", "preflight"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def outside_inventory(tmp_path: Path) -> Path:
    """An inventory far from the checkout, so only playbook-adjacent group_vars can reach it."""
    path = tmp_path / "inv.yml"
    python = "ansible_python_interpreter: '{{ ansible_playbook_python }}'"
    # Already root: Mitogen would run sudo for the plays' become, and this machine has none.
    host = f"{{mlops_private_ip: 10.1.2.3, ansible_connection: local, ansible_become: false, {python}}}"
    path.write_text(f"all:\n  children:\n    db:\n      hosts:\n        h1: {host}\n")
    return path


@pytest.mark.parametrize("play", ["site.yml", "playbooks/db.yml"])
def test_group_vars_reach_playbooks_run_with_any_inventory(
    root: Path, outside_inventory: Path, play: str, tmp_path: Path
) -> None:
    result = playbook(root, outside_inventory, root / play, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_playbook_without_the_group_vars_fails_with_advice(root: Path, outside_inventory: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere"
    shutil.copytree(root / "playbooks", copy, ignore=shutil.ignore_patterns("group_vars"))
    result = playbook(root, outside_inventory, copy / "db.yml", tmp_path)
    assert result.returncode != 0
    assert "group_vars/ were not loaded" in result.stdout


def test_host_without_private_address_is_named(root: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yml"
    inventory.write_text("all:\n  children:\n    db:\n      hosts:\n        h1: {ansible_connection: local}\n")
    result = playbook(root, inventory, root / "site.yml", tmp_path)
    assert result.returncode != 0
    assert "Inventory host h1 has no valid mlops_private_ip" in result.stdout


def test_group_vars_reach_the_example_inventory(root: Path) -> None:
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg")}
    path = root / "inventories/example/hosts.yml"
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"], capture_output=True, text=True, env=env, cwd="/"
    )
    assert out.returncode == 0, out.stderr
    assert '"mlops_group_vars_loaded": true' in out.stdout


@pytest.mark.parametrize("inventory", ["inventories/example", "inventories/local"])
def test_every_inventory_links_the_root_group_vars(root: Path, inventory: str) -> None:
    """inventories/local/hosts.yml is written by `mlopsctl hosts up`; the link beside it is committed."""
    link = root / inventory / "group_vars"
    assert link.is_symlink() and link.resolve() == (root / "group_vars").resolve()


def test_a_password_from_ansible_vault_wins_and_nothing_is_generated_for_it(root: Path, tmp_path: Path) -> None:
    """docs/devops/secrets.md's vault example: an encrypted extra-vars file instead of a generated secret."""
    inventory_dir = tmp_path / "inventories/prod"
    inventory_dir.mkdir(parents=True)
    (inventory_dir / "group_vars").symlink_to(root / "group_vars")
    host = "{mlops_private_ip: 10.1.2.3, ansible_connection: local}"
    (inventory_dir / "hosts.yml").write_text(f"all:\n  children:\n    db:\n      hosts:\n        db01: {host}\n")
    (tmp_path / "vault-pass").write_text("correct horse battery staple\n")
    vault = inventory_dir / "vault.yml"
    vault.write_text("mlops_dwh_db_password: from-the-vault-4f9a\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    pw = ["--vault-password-file", str(tmp_path / "vault-pass")]
    subprocess.run([str(BIN / "ansible-vault"), "encrypt", str(vault), *pw], check=True, env=env, capture_output=True)
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    query = "postgresql_users | selectattr('name', 'eq', 'dwh') | map(attribute='password') | first"
    cmd = [str(BIN / "ansible"), "-i", str(inventory_dir / "hosts.yml"), "db01", "-m", "ansible.builtin.debug",
           "-a", f"msg={{{{ {query} }}}}", "-e", f"@{vault}", *pw]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "msg: from-the-vault-4f9a" in done.stdout
    assert not (inventory_dir / ".secrets/postgresql_dwh_password").exists()
