"""Cloud VMs through the Terraform CLI, and the Ansible inventory made from `terraform output -json`.

The CLI is called directly (no python-terraform: unmaintained since 2019 and it parses human output); `-json`
outputs are a documented, versioned interface, and Terraform's own progress streams to the terminal unchanged."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.files import read_text_file
from mlopsctl.inventory import ssh_common_args, with_play_groups, write_if_changed
from mlopsctl.progress import say, step

CLOUDS = ("selectel", "immers", "selectel-k8s")
HEADER = "# Written by `mlopsctl infra inventory` from `terraform output -json`; do not edit (rewritten each run).\n"
# The outputs.tf contract of every cloud root: what the inventory is built from.
REQUIRED_OUTPUTS = ("cloud", "hosts", "ssh_user")
PLATFORM_GROUPS = ("db", "airflow")
# pgBackRest's repository host: on the private network only, reached through the db host.
BACKUP_GROUP = "backup"
# Airflow's Celery workers (worker_count in terraform/<cloud>): private network only too, reached the same way.
WORKER_GROUP = "airflow_workers"
# Groups of hosts that have no address but the private one: their private_ip is checked against private_cidr.
PRIVATE_ONLY_GROUPS = (BACKUP_GROUP, WORKER_GROUP)
# What the inventory accepts from outputs: nothing Ansible would template ({{ }}), no leading dash (an ssh option), no
# slash or dot-dot (a path), so a crafted state file cannot run code or reach files through the inventory.
HOST_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
SSH_HOST_KEY = re.compile(r"^ssh-ed25519 [A-Za-z0-9+/]{68}$")
# Beside the inventory: the VMs' host keys from the outputs, the only ones Ansible accepts.
KNOWN_HOSTS = "known_hosts"
HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$")


def cloud_dir(root: Path, cloud: str) -> Path:
    if cloud not in CLOUDS:
        raise ConfigError(f"--cloud {cloud!r} is not one of {', '.join(CLOUDS)}")
    path = root / "terraform" / cloud
    if not (path / "main.tf").is_file():
        raise ConfigError(f"{path} has no main.tf; is this the platform's checkout?")
    return path


def terraform_binary() -> str:
    found = shutil.which("terraform") or shutil.which("tofu")
    if not found:
        raise CommandError(
            "terraform (1.9 or newer) is not on PATH: install it "
            "(https://developer.hashicorp.com/terraform/install; OpenTofu's `tofu` works too)"
        )
    return found


def terraform_init(binary: str, workdir: Path) -> list[str]:
    """`terraform init`, with the root's backend settings when it has a backend (backend.tf and backend.hcl)."""
    init = [binary, f"-chdir={workdir}", "init", "-input=false"]
    if (workdir / "backend.tf").is_file() and (workdir / "backend.hcl").is_file():
        init.append("-backend-config=backend.hcl")
    return init


def terraform_commands(binary: str, workdir: Path, action: str, auto_approve: bool = False) -> list[list[str]]:
    """The Terraform CLI calls behind one `mlopsctl infra` action, in order."""
    base = [binary, f"-chdir={workdir}"]
    init = terraform_init(binary, workdir)
    approve = ["-auto-approve"] if auto_approve else []
    actions = {
        "plan": [init, [*base, "plan", "-input=false", "-out=tfplan"]],
        # A saved plan applies exactly what was shown, without a second prompt.
        "apply": [init, [*base, "plan", "-input=false", "-out=tfplan"], [*base, "apply", "-input=false", "tfplan"]],
        "destroy": [init, [*base, "destroy", "-input=false", *approve]],
    }
    if action not in actions:
        raise ConfigError(f"infra: unknown action {action!r}; choose plan, apply or destroy")
    return actions[action]


def run_terraform(commands: list[list[str]]) -> None:
    for cmd in commands:
        with step("terraform " + " ".join(cmd[2:])):
            code = subprocess.run(cmd).returncode
        if code != 0:
            raise CommandError(f"`{' '.join(cmd)}` failed (exit {code}); Terraform's message is above")


def terraform_outputs(binary: str, workdir: Path) -> dict[str, Any]:
    done = subprocess.run([binary, f"-chdir={workdir}", "output", "-json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"terraform output failed: {done.stderr.strip()}; run `mlopsctl infra apply` first")
    return parse_outputs(done.stdout, source=f"terraform output -json in {workdir}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: json.loads would keep the last of a repeated key (a host written
    twice in a recorded outputs file would silently lose one of its entries)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ConfigError(f"key {key!r} appears twice in one object; each host and output must be named once")
        found[key] = value
    return found


def parse_outputs(text: str, source: str) -> dict[str, Any]:
    try:
        outputs = json.loads(text, object_pairs_hook=_unique_keys)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not JSON ({exc})") from exc
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to be terraform output -json") from None
    if not isinstance(outputs, dict):
        raise ConfigError(f"{source}: expected an object of outputs, got {type(outputs).__name__}")
    return outputs


def _value(outputs: dict[str, Any], name: str, source: str) -> Any:
    if name not in outputs:
        missing = [n for n in REQUIRED_OUTPUTS if n not in outputs]
        raise ConfigError(f"{source}: output(s) {', '.join(missing)} missing; was this made by terraform/<cloud>?")
    entry = outputs[name]
    if not isinstance(entry, dict) or "value" not in entry:
        raise ConfigError(f"{source}: output {name} has no value (expected terraform output -json's format)")
    return entry["value"]


def _ip(value: Any, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    try:
        address = ipaddress.ip_address(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: {value!r} is not an IP address") from None
    if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
        raise ConfigError(f"{where}: {address} is unspecified, loopback, multicast or link-local: not a host address")
    return str(address)


def _name(value: Any, pattern: re.Pattern[str], what: str, where: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(f"{where}: {value!r} is not a valid {what} (allowed: {pattern.pattern})")
    return value


def _https_url(value: Any, source: str) -> str:
    if not isinstance(value, str) or not HTTPS_URL.fullmatch(value):
        raise ConfigError(
            f"{source}: output airflow_url {value!r} must be an https:// URL of a host name or address and a plain path"
            " (nginx serves Airflow there)"
        )
    return value


def inventory_from_outputs(outputs: dict[str, Any], source: str = "terraform outputs") -> dict[str, Any]:
    """The same inventory shape the local hosts get: groups of hosts, each with mlops_private_ip."""
    for name in REQUIRED_OUTPUTS:
        _value(outputs, name, source)
    hosts = _value(outputs, "hosts", source)
    user = _value(outputs, "ssh_user", source)
    if not isinstance(hosts, dict) or not hosts:
        raise ConfigError(f"{source}: output hosts must be a non-empty object of hosts")
    if not isinstance(user, str) or not user:
        raise ConfigError(f"{source}: output ssh_user must be a user name")
    _name(user, USER_NAME, "user name", f"{source}: output ssh_user")
    network = _private_network(outputs, hosts, source)
    groups: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, host in sorted(hosts.items()):
        where = f"{source}: hosts.{name}"
        _name(name, HOST_NAME, "host name", f"{source}: hosts")
        # Host names are case-insensitive (DNS, ssh, known_hosts): WRK01 and wrk01 would be one host twice.
        if name.lower() in names:
            raise ConfigError(f"{where}: the same host name as {names[name.lower()]} (names differ in case only)")
        names[name.lower()] = name
        if not isinstance(host, dict):
            raise ConfigError(f"{where} must be an object")
        host_groups = host.get("groups")
        if not isinstance(host_groups, list) or not host_groups or not all(isinstance(g, str) for g in host_groups):
            raise ConfigError(f"{where}.groups must be a non-empty list of group names")
        for group in host_groups:
            _name(group, GROUP_NAME, "group name", f"{where}.groups")
        if not isinstance(host.get("gpu"), bool):
            raise ConfigError(f"{where}.gpu must be true or false")
        private = _ip(host.get("private_ip"), f"{where}.private_ip")
        public = _ip(host.get("public_ip"), f"{where}.public_ip", optional=True)
        entry_key = _name(host.get("ssh_host_key"), SSH_HOST_KEY, "SSH host key (ssh-ed25519)", f"{where}.ssh_host_key")
        if private in owners:
            raise ConfigError(f"{where}.private_ip {private} is also {owners[private]}'s: each host needs its own")
        if network is not None and ipaddress.ip_address(private) not in network:
            raise ConfigError(
                f"{where}.private_ip {private} is outside the private network {network} (output private_cidr): the"
                " hosts reach each other there only; give the host an address in it"
            )
        owners[private] = name
        entry: dict[str, Any] = {
            "ansible_host": public or private,
            "mlops_private_ip": private,
            "mlops_ssh_host_key": entry_key,
        }
        if "airflow" in host_groups:
            # Users reach the UI at this address: nginx redirects to it and its certificate names it.
            entry["airflow_base_url"] = _https_url(_value(outputs, "airflow_url", source), source)
        if host["gpu"]:
            # The cloud promised a GPU: a VM that does not show it fires GpuNotVisible, even when its bus has none.
            entry["monitoring_gpu_required"] = True
        if host["gpu"] and "db" in host_groups:
            # The cloud promised a GPU: pg_strom is required there, so a missing driver fails instead of falling back.
            entry["postgresql_pg_strom"] = True
        for group in host_groups:
            groups.setdefault(group, {"hosts": {}})["hosts"][name] = entry
    missing = [g for g in PLATFORM_GROUPS if g not in groups]
    if missing:
        raise ConfigError(f"{source}: no host in group(s) {', '.join(missing)}; the platform needs db and airflow")
    _jump_through_db_host(groups, user)
    if "k8s_nodes_cidr" in outputs:
        _admit_k8s_nodes(groups, _value(outputs, "k8s_nodes_cidr", source), source)
    platform_vars: dict[str, Any] = {
        "ansible_user": user,
        "ansible_become": True,
        "ansible_python_interpreter": "/usr/bin/python3",
        # The host keys Terraform made (known_hosts beside this file): no trust on first use.
        "ansible_ssh_common_args": ssh_common_args(KNOWN_HOSTS),
    }
    if network is not None:
        # The CeleryExecutor's broker and workers must be on it (group_vars/all.yml's mlops_private_network).
        platform_vars["mlops_private_network"] = str(network)
    return {"all": {"vars": platform_vars, "children": with_play_groups(groups)}}


def _private_network(
    outputs: dict[str, Any], hosts: dict[str, Any], source: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The private network every host must be on; required once there is a host of PRIVATE_ONLY_GROUPS (the backup
    host, the Airflow workers), which has no other address."""
    if "private_cidr" not in outputs:
        private_only = sorted(
            {
                group
                for h in hosts.values()
                if isinstance(h, dict) and isinstance(h.get("groups"), list)
                for group in h["groups"]
                if group in PRIVATE_ONLY_GROUPS
            }
        )
        if not private_only:
            return None
        raise ConfigError(
            f"{source}: output private_cidr missing, and the hosts of {', '.join(private_only)} must be checked"
            " against it: apply the current terraform/<cloud> (it outputs private_cidr) and run infra inventory again"
        )
    cidr = _value(outputs, "private_cidr", source)
    try:
        if not isinstance(cidr, str):
            raise TypeError(cidr)  # ipaddress would take a number for a network
        network = ipaddress.ip_network(cidr)
    except (ValueError, TypeError):
        raise ConfigError(f"{source}: output private_cidr {cidr!r} is not a network") from None
    if not network.is_private:
        raise ConfigError(f"{source}: output private_cidr {network} is not a private network")
    return network


def _jump_through_db_host(groups: dict[str, dict[str, Any]], user: str) -> None:
    """Hosts without a public address (the backup host, the Airflow workers) are reached through the first db host
    with one; both hops check the host keys of known_hosts, as every other connection does (a ProxyJump would drop
    those options)."""
    db_hosts = sorted(groups["db"]["hosts"].items())
    jumps = [entry["ansible_host"] for _, entry in db_hosts if entry["ansible_host"] != entry["mlops_private_ip"]]
    if not jumps:
        return
    proxy = f'-o ProxyCommand="ssh {ssh_common_args(KNOWN_HOSTS)} -W %h:%p {user}@{jumps[0]}"'
    for group in groups.values():
        for entry in group["hosts"].values():
            if entry["ansible_host"] == entry["mlops_private_ip"]:
                entry["ansible_ssh_common_args"] = ssh_common_args(KNOWN_HOSTS, proxy)


def _admit_k8s_nodes(groups: dict[str, dict[str, Any]], cidr: Any, source: str) -> None:
    """A root with a Kubernetes cluster: db01 gets the cluster's own metadata database and user, which pg_hba admits
    from the node subnet only, and admits the subnet to the data warehouse besides the Airflow hosts (db.yml).

    Host variables of the inventory file outrank group_vars/, so these replace all.yml's and db.yml's defaults."""
    try:
        network = ipaddress.ip_network(cidr)
    except (ValueError, TypeError):
        raise ConfigError(f"{source}: output k8s_nodes_cidr {cidr!r} is not a network") from None
    if network.prefixlen < 16 or not network.is_private:
        raise ConfigError(f"{source}: output k8s_nodes_cidr {network} must be a private subnet of /16 or smaller")
    # The Airflow hosts and the Celery workers (their tasks and the result backend reach PostgreSQL too).
    workers = groups.get(WORKER_GROUP, {"hosts": {}})["hosts"]
    airflow_hosts = [*groups["airflow"]["hosts"].values(), *workers.values()]
    clients = [*dict.fromkeys(f"{host['mlops_private_ip']}/32" for host in airflow_hosts), str(network)]
    for host in groups["db"]["hosts"].values():
        host["mlops_airflow_client_cidrs"] = clients
        host["mlops_k8s_nodes_cidr"] = str(network)


def write_cloud_inventory(root: Path, cloud: str, inventory: dict[str, Any]) -> Path:
    """inventories/<cloud>/hosts.yml (replaced atomically, never through a link) with the group_vars link every
    inventory of the platform has."""
    directory = root / "inventories" / cloud
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory; move it away, the inventory is written in it")
    path = directory / "hosts.yml"
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ConfigError(f"{path} is a link or not a file; remove it, the inventory is written there as a plain file")
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "group_vars"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(Path("../../group_vars"))
    write_if_changed(directory / KNOWN_HOSTS, known_hosts(inventory))
    write_if_changed(path, HEADER + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False))
    return path


def known_hosts(inventory: dict[str, Any]) -> str:
    """known_hosts lines of every host of the inventory: its key under each address Ansible or a user reaches it by."""
    hosts = {name: entry for group in inventory["all"]["children"].values() for name, entry in group["hosts"].items()}
    return "".join(
        f"{','.join(sorted({entry['ansible_host'], entry['mlops_private_ip']}))} {entry['mlops_ssh_host_key']}\n"
        for _, entry in sorted(hosts.items())
    )


def cloud_inventory(root: Path, cloud: str, outputs_file: Path | None = None) -> Path:
    """inventories/<cloud>/hosts.yml from recorded outputs (a file) or from the cloud root's state."""
    workdir = cloud_dir(root, cloud)
    if outputs_file is not None:
        outputs = parse_outputs(read_text_file(outputs_file, "--outputs"), source=str(outputs_file))
    else:
        outputs = terraform_outputs(terraform_binary(), workdir)
    path = write_cloud_inventory(root, cloud, inventory_from_outputs(outputs, source=f"outputs of {cloud}"))
    say(f"inventory written: {path.relative_to(root)}")
    return path
